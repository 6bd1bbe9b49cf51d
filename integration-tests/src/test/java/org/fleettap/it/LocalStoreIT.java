package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.ListSessionsResponse;
import org.fleettap.proto.v1.SessionInfo;
import org.fleettap.proto.v1.SessionState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fleettap run} stores its results in a local store ({@code --data DIR}), and {@code fleettap query} and
 * {@code fleettap sessions} read them afterwards, each a process of its own as a user runs them.
 */
class LocalStoreIT {
    private static final String LOOP = Fleettap.ROOT.resolve("examples/loop").toString();
    private static final String COUNT_F = "global c; probe process(\"" + LOOP + "\").function(\"f\") { c <<< 1 }";
    private static final Pattern STORED = Pattern.compile("fleettap: storing this run as session ([0-9a-z]{13}) in ");
    private static final Pattern PRINTED = Pattern.compile("c @count=(\\d+) @min=1 @max=1 @sum=\\1 @avg=1\n");

    @TempDir
    Path dir;

    @Test
    void aRunsCountIsQueriedAfterwardsExactly() throws Exception {
        String data = dir.resolve("data").toString();
        Fleettap.Result r = Fleettap.run("run", "--data", data, "-e", COUNT_F, "-c", LOOP + " 10000");
        assertThat(r.stdout()).isEqualTo("c @count=10000 @min=1 @max=1 @sum=10000 @avg=1\n");
        assertThat(r.stderr()).isEmpty();
        assertThat(r.exit()).isZero();

        SessionInfo session = onlySession(data);
        String id = session.getSpec().getSessionId();
        assertThat(session.getSpec().getScriptSource()).isEqualTo(COUNT_F);
        assertThat(session.getSpec().getCommand()).isEqualTo(LOOP + " 10000");
        assertThat(session.getStatuses(0).getState()).isEqualTo(SessionState.SESSION_STATE_STOPPED);

        Fleettap.Result table = Fleettap.run("sessions", "--data", data);
        assertThat(table.exit()).isZero();
        assertThat(table.stdout().lines().toList()).hasSize(2);
        assertThat(table.stdout().lines().toList().get(1)).matches(id + " +-e +host:\\S+ +\\S+Z +- +1 stopped");

        Fleettap.Result q = Fleettap.run("query", "--data", data, "--session", id, "c");
        assertThat(q.stdout()).isEqualTo(""
                + "KEY  COUNT    SUM  MIN  MAX  AVG  P50  P90  P99\n"
                + "     10000  10000    1    1    1    1    1    1\n");
        assertThat(q.stderr()).isEmpty();
        assertThat(q.exit()).isZero();
        assertThat(count(data, id)).isEqualTo(10000);
    }

    /**
     * SIGINT ends a run that exported many intervals: the last export happens, the store is closed, and the stored
     * count is the count the run printed. While the run holds the store, another process is told so in one line.
     */
    @Test
    void sigintStoresTheLastExportAndAnotherProcessIsToldTheStoreIsInUse() throws Exception {
        String data = dir.resolve("data").toString();
        File out = dir.resolve("out").toFile();
        File err = dir.resolve("err").toFile();
        Process p = Fleettap.start(out, err, "run", "-v", "--data", data, "--interval", "200ms", "-e", COUNT_F, "-c",
                LOOP + " 2000000000");
        String id;
        try {
            Fleettap.waitFor(() -> STORED.matcher(Fleettap.read(err)).find(), "the run to store a session");
            Matcher m = STORED.matcher(Fleettap.read(err));
            assertThat(m.find()).isTrue();
            id = m.group(1);
            Fleettap.waitFor(() -> Fleettap.read(err).contains("attached "), "fleettap to attach");

            Fleettap.Result busy = Fleettap.run("query", "--data", data, "--session", id, "c");
            assertThat(busy.stderr()).isEqualTo("fleettap: " + data + " is in use by another fleettap process\n");
            assertThat(busy.stdout()).isEmpty();
            assertThat(busy.exit()).isEqualTo(1);
            Fleettap.Result second = Fleettap.run("run", "--data", data, "-e", "probe begin { exit() }");
            assertThat(second.stderr()).isEqualTo("fleettap: " + data
                    + " is in use by another fleettap process\n");
            assertThat(second.exit()).isEqualTo(1);
            Thread.sleep(1000);
        } finally {
            new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(p.exitValue()).as(Fleettap.read(err)).isZero();
        Matcher printed = PRINTED.matcher(Fleettap.read(out));
        assertThat(printed.matches()).as(Fleettap.read(out)).isTrue();
        long n = Long.parseLong(printed.group(1));
        assertThat(n).isPositive();
        assertThat(count(data, id)).isEqualTo(n);
        SessionInfo session = onlySession(data);
        assertThat(session.getStatuses(0).getState()).isEqualTo(SessionState.SESSION_STATE_STOPPED);
        assertThat(session.getStatuses(0).getReason()).isEqualTo("stopped by a signal");
    }

    @Test
    void queryingADirectoryWithoutAStoreIsOneLine() throws Exception {
        Path missing = dir.resolve("missing");
        Fleettap.Result r = Fleettap.run("query", "--data", missing.toString(), "--session", "s", "c");
        assertThat(r.stderr()).isEqualTo("fleettap: no fleettap store at " + missing + " (no such directory)\n");
        assertThat(r.exit()).isEqualTo(1);
        Files.createDirectory(missing);
        Fleettap.Result empty = Fleettap.run("sessions", "--data", missing.toString());
        assertThat(empty.stderr()).isEqualTo("fleettap: " + missing + " holds no fleettap store\n");
        assertThat(empty.exit()).isEqualTo(1);
    }

    private static SessionInfo onlySession(String data) throws Exception {
        Fleettap.Result r = Fleettap.run("sessions", "--data", data, "-o", "json");
        assertThat(r.exit()).as(r.stderr()).isZero();
        ListSessionsResponse.Builder b = ListSessionsResponse.newBuilder();
        JsonFormat.parser().merge(r.stdout(), b);
        assertThat(b.getSessionsCount()).isEqualTo(1);
        return b.getSessions(0);
    }

    /** The stored count of c, from fleettap query -o json. */
    private static long count(String data, String id) throws Exception {
        Fleettap.Result r = Fleettap.run("query", "--data", data, "--session", id, "c", "--by", "none", "-o", "json");
        assertThat(r.exit()).as(r.stderr()).isZero();
        AggregateQueryResponse.Builder b = AggregateQueryResponse.newBuilder();
        JsonFormat.parser().merge(r.stdout(), b);
        assertThat(b.getRowsCount()).isEqualTo(1);
        return b.getRows(0).getStats().getCount();
    }
}
