package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.util.JsonFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.fleettap.agent.daemon.HostFacts;
import org.fleettap.agent.feature.KernelFeatures;
import org.fleettap.collector.local.LocalStore;
import org.fleettap.collector.store.Store;
import org.fleettap.collector.store.StoreOptions;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.ListHostsResponse;
import org.fleettap.proto.v1.ListSessionsResponse;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fleettap run} stores what it records and prints in a local store (real probes on the loop fixture, real
 * RocksDB in a temp directory), and {@code query}, {@code sessions} and {@code hosts} read it afterwards with
 * {@code --data}, as they read a collector.
 */
@Timeout(180)
class LocalRunTest {
    private static final Path LOOP = Paths.get(System.getProperty("fleettap.fixtures", "../agent/target/fixtures"),
            "loop").toAbsolutePath().normalize();
    private static final String COUNT_F = "global c; probe process(\"" + LOOP + "\").function(\"f\") { c <<< 1 } "
            + "probe process(\"" + LOOP + "\").function(\"main\").return { printf(\"main returned %d\\n\", $return) }";

    @TempDir
    Path dir;

    private record Run(int exit, String stdout, String stderr) {
    }

    @BeforeEach
    void uprobes() {
        assumeTrue(KernelFeatures.system().hasUprobes(), "kernel lacks uprobes (CONFIG_UPROBE_EVENTS)");
    }

    private static Run fleettap(String... args) {
        try (Capture c = Capture.install()) {
            int exit = Capture.fleettap(args);
            return new Run(exit, c.stdout(), c.stderr());
        }
    }

    /** fleettap run with -o FILE (run prints to the process's own stdout, which a test cannot capture). */
    private Run run(String name, String... args) throws Exception {
        Path out = dir.resolve(name + ".out");
        String[] all = new String[args.length + 3];
        all[0] = "run";
        all[1] = "-o";
        all[2] = out.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        Run r = fleettap(all);
        return new Run(r.exit(), Files.exists(out) ? Files.readString(out) : "", r.stderr());
    }

    @Test
    void aRunIsStoredAndQueriedAfterwardsWithTheSameOutputAsWithoutTheStore() throws Exception {
        String data = dir.resolve("data").toString();
        String printed = "main returned 10000\nc @count=10000 @min=1 @max=1 @sum=10000 @avg=1\n";
        Run unstored = run("unstored", "--no-store", "-e", COUNT_F, "-c", LOOP + " 10000");
        assertThat(unstored).isEqualTo(new Run(0, printed, ""));
        assertThat(dir.resolve("data")).doesNotExist();

        Run stored = run("stored", "--data", data, "-e", COUNT_F, "-c", LOOP + " 10000");
        assertThat(stored).isEqualTo(new Run(0, printed, ""));

        Run sessions = fleettap("sessions", "--data", data, "-o", "json");
        assertThat(sessions.stderr()).isEmpty();
        assertThat(sessions.exit()).isZero();
        ListSessionsResponse.Builder list = ListSessionsResponse.newBuilder();
        JsonFormat.parser().merge(sessions.stdout(), list);
        assertThat(list.getSessionsCount()).isEqualTo(1);
        SessionSpec spec = list.getSessions(0).getSpec();
        String id = spec.getSessionId();
        String host = HostFacts.defaultHostId();
        assertThat(spec.getScriptName()).isEqualTo("-e");
        assertThat(spec.getScriptSource()).isEqualTo(COUNT_F);
        assertThat(spec.getCommand()).isEqualTo(LOOP + " 10000");
        assertThat(spec.getTarget().getHostIdsList()).containsExactly(host);
        assertThat(spec.getExportIntervalNanos()).isEqualTo(1_000_000_000L);
        assertThat(list.getSessions(0).getStatusesList()).hasSize(1);
        assertThat(list.getSessions(0).getStatuses(0).getState()).isEqualTo(SessionState.SESSION_STATE_STOPPED);
        assertThat(list.getSessions(0).getStatuses(0).getReason()).isEqualTo("ended");

        Run table = fleettap("sessions", "--data", data);
        assertThat(table.stdout().lines().toList()).hasSize(2);
        assertThat(table.stdout().lines().toList().get(0))
                .matches("SESSION +SCRIPT +HOSTS +CREATED +STARTED BY +STATES");
        assertThat(table.stdout().lines().toList().get(1)).matches(id + " +-e +host:" + host
                + " +\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ +- +1 stopped");

        Run query = fleettap("query", "--data", data, "--session", id, "c");
        assertThat(query).isEqualTo(new Run(0, ""
                + "KEY  COUNT    SUM  MIN  MAX  AVG  P50  P90  P99\n"
                + "     10000  10000    1    1    1    1    1    1\n", ""));
        Run byHost = fleettap("query", "--data", data, "--session", id, "c", "--by", "host");
        assertThat(byHost.stdout().lines().toList().get(1)).matches(host + " +10000 +10000 +1 +1 +1 +1 +1 +1");
        Run json = fleettap("query", "--data", data, "--session", id, "c", "-o", "json");
        assertThat(json.exit()).isZero();
        AggregateQueryResponse.Builder r = AggregateQueryResponse.newBuilder();
        JsonFormat.parser().merge(json.stdout(), r);
        assertThat(r.getRowsCount()).isEqualTo(1);
        assertThat(r.getRows(0).getStats().getCount()).isEqualTo(10000);
        assertThat(r.getRows(0).getStats().getSum()).isEqualTo(10000);

        Run hosts = fleettap("hosts", "--data", data, "-o", "json");
        ListHostsResponse.Builder h = ListHostsResponse.newBuilder();
        JsonFormat.parser().merge(hosts.stdout(), h);
        assertThat(h.getHostsList()).extracting(x -> x.getHostId()).containsExactly(host);

        // The output lines are stored too, as an agent's are: exactly what the run printed.
        try (Store raw = Store.open(dir.resolve("data"), StoreOptions.defaults())) {
            assertThat(raw.output(id, Set.of(), 0, 100).stream().map(e -> e.getLine().getText() + "\n").toList())
                    .isEqualTo(printed.lines().map(l -> l + "\n").toList());
        }
    }

    /** Exported every 100 ms while the loop runs, and at the end: the stored total is what the run printed. */
    @Test
    void everyIntervalIsStoredAndTheTotalsAreWhatTheRunPrinted() throws Exception {
        String data = dir.resolve("data").toString();
        Run r = run("long", "--data", data, "--interval", "100ms", "--duration", "2s", "-e", "global c; probe "
                + "process(\"" + LOOP + "\").function(\"f\") { c <<< 1 }", "-c", LOOP + " 2000000000");
        // A loop this fast overflows the ring buffers: the run may say how many events it lost.
        assertThat(r.stderr()).matches("(fleettap: warning: \\d+ events lost \\(ring buffers full: the reader fell "
                + "behind\\)\n)?");
        long warned = r.stderr().isEmpty() ? 0 : Long.parseLong(r.stderr().replaceAll("\\D", ""));
        assertThat(r.exit()).isZero();
        assertThat(r.stdout()).matches("c @count=\\d+ @min=1 @max=1 @sum=\\d+ @avg=1\n");
        long printed = Long.parseLong(r.stdout().replaceAll("c @count=(\\d+) .*\n", "$1"));
        assertThat(printed).isPositive();
        String id = sessionIds(data).get(0);
        try (Store raw = Store.open(dir.resolve("data"), StoreOptions.defaults())) {
            // More than one batch: the deltas of several intervals were merged into the total.
            assertThat(raw.appliedSequence(HostFacts.defaultHostId(), id).orElseThrow()).isGreaterThan(2);
        }
        Run q = fleettap("query", "--data", data, "--session", id, "c", "--by", "none", "-o", "json");
        AggregateQueryResponse.Builder b = AggregateQueryResponse.newBuilder();
        JsonFormat.parser().merge(q.stdout(), b);
        assertThat(b.getRows(0).getStats().getCount()).isEqualTo(printed);
        if (warned > 0) {
            // The losses stored are the ones the run reported.
            assertThat(b.getLossesList()).hasSize(1);
            assertThat(b.getLosses(0).getLosses().getRecordsLost()).isEqualTo(warned);
        }
    }

    @Test
    void aStoreInUseIsOneLineAndTheRunDoesNotStart() throws Exception {
        Path data = dir.resolve("data");
        try (LocalStore held = LocalStore.create(data, Clock.systemUTC())) {
            Run r = run("busy", "--data", data.toString(), "-e", "probe begin { printf(\"hi\\n\"); exit() }");
            assertThat(r).isEqualTo(new Run(1, "", "fleettap: " + data + " is in use by another fleettap process\n"));
            Run q = fleettap("sessions", "--data", data.toString());
            assertThat(q).isEqualTo(new Run(1, "", "fleettap: " + data + " is in use by another fleettap process\n"));
        }
    }

    @Test
    void readingAMissingStoreIsOneLine() {
        Path missing = dir.resolve("missing");
        for (String[] args : new String[][] {{"query", "--data", missing.toString(), "--session", "s", "c"},
            {"sessions", "--data", missing.toString()}, {"hosts", "--data", missing.toString()}}) {
            assertThat(fleettap(args)).as(String.join(" ", args)).isEqualTo(new Run(1, "",
                    "fleettap: no fleettap store at " + missing + " (no such directory)\n"));
        }
        assertThat(missing).doesNotExist();
    }

    /** Without --data, a run stores in the user's data home, and query and sessions read it from there. */
    @Test
    void theDefaultStoreIsInTheUsersDataHome() throws Exception {
        assumeTrue(System.getenv("XDG_DATA_HOME") == null, "XDG_DATA_HOME is set: the default would be there");
        String home = System.getProperty("user.home");
        System.setProperty("user.home", dir.toString());
        try {
            Run r = run("default", "-v", "-e", "probe begin { printf(\"hi\\n\"); exit() }");
            Path data = dir.resolve(".local/share/fleettap");
            assertThat(r.stdout()).isEqualTo("hi\n");
            assertThat(r.stderr()).containsPattern("(?m)^fleettap: storing this run as session [0-9a-z]{13} in "
                    + java.util.regex.Pattern.quote(data.toString()) + "$");
            assertThat(sessionIds(null)).hasSize(1);
            assertThat(run("unstored", "--no-store", "-e", "probe begin { printf(\"hi\\n\"); exit() }"))
                    .isEqualTo(new Run(0, "hi\n", ""));
            assertThat(sessionIds(null)).hasSize(1);
            // Another process has the default store: the run goes on, unstored, and says so.
            try (LocalStore held = LocalStore.create(data, Clock.systemUTC())) {
                assertThat(run("busy", "-e", "probe begin { printf(\"hi\\n\"); exit() }")).isEqualTo(new Run(0,
                        "hi\n", "fleettap: warning: this run is not stored: " + data + " is in use by another "
                        + "fleettap process (--data DIR stores it elsewhere)\n"));
            }
            assertThat(sessionIds(null)).hasSize(1);
        } finally {
            System.setProperty("user.home", home);
        }
    }

    /** The stored sessions' ids, from fleettap sessions (--data DIR, or the default without). */
    private static List<String> sessionIds(String data) throws Exception {
        Run r = data == null ? fleettap("sessions", "-o", "json") : fleettap("sessions", "--data", data, "-o", "json");
        assertThat(r.exit()).as(r.stderr()).isZero();
        ListSessionsResponse.Builder b = ListSessionsResponse.newBuilder();
        JsonFormat.parser().merge(r.stdout(), b);
        return b.getSessionsList().stream().map(s -> s.getSpec().getSessionId()).toList();
    }
}
