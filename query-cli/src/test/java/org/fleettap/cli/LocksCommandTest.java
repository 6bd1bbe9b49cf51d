package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.cli.Rows.row;
import static org.fleettap.cli.Rows.s;
import static org.fleettap.cli.Rows.stats;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fleettap.agent.compiler.CompiledScript;
import org.fleettap.agent.compiler.ScriptCompiler;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.probe.ProbeSite;
import org.fleettap.agent.probe.TracepointSite;
import org.fleettap.agent.probe.UprobeSite;
import org.fleettap.agent.script.Compilation;
import org.fleettap.agent.script.Frontend;
import org.fleettap.agent.script.Source;
import org.fleettap.agent.target.Target;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.AggregateRow;
import org.fleettap.proto.v1.SessionInfo;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code fleettap locks}: its script, its rendering and its argument errors. */
class LocksCommandTest {

    /**
     * The script compiles with the agent's compiler and resolves on this host: a uretprobe on the C library's
     * pthread_mutex_init (the libc.so.6 ldd finds for /bin/sh) and the futex syscall's enter and exit tracepoints.
     */
    @Test
    void theScriptCompilesAndResolvesToLibcAndTheFutexTracepoints() throws Exception {
        Compilation c = Frontend.check(new Source("locks", LocksCommand.script("futex")));
        assertThat(c.succeeded()).as(c.format()).isTrue();
        CompiledScript compiled = ScriptCompiler.compile(c.script().orElseThrow(),
                ProbeResolver.forTarget(Target.all()), new PrintStream(new ByteArrayOutputStream(), true,
                        StandardCharsets.UTF_8));
        Process ldd = new ProcessBuilder("ldd", "/bin/sh").redirectErrorStream(true).start();
        String out = new String(ldd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ldd.waitFor()).isZero();
        Matcher m = Pattern.compile("libc\\.so\\.6 => (\\S+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        Path libc = Path.of(m.group(1)).toRealPath();
        List<ProbeSite> sites = compiled.plan().sites();
        assertThat(sites.stream().filter(UprobeSite.class::isInstance).map(UprobeSite.class::cast)
                .filter(UprobeSite::retprobe).map(u -> u.binary() + " " + u.name()))
                .containsExactly(libc + " function(\"pthread_mutex_init\")");
        assertThat(sites.stream().filter(TracepointSite.class::isInstance).map(t -> ((TracepointSite) t).event()))
                .containsExactlyInAnyOrder("sys_enter_futex", "sys_exit_futex");
    }

    @Test
    void theScriptNamesTheProgramByItsTaskName() {
        assertThat(LocksCommand.comm("/usr/local/bin/futex")).isEqualTo("futex");
        assertThat(LocksCommand.comm("a-very-long-program-name")).isEqualTo("a-very-long-pro");
        assertThat(LocksCommand.script("my\"prog")).contains("if (execname() != \"my\\\"prog\") next\n")
                .contains("lock_waits_us[lock_names[pid(), $uaddr]] <<< ");
    }

    private static AggregateRow withWaits(AggregateRow r, long... waits) {
        MergeableAggregate a = new MergeableAggregate();
        for (long w : waits) {
            a.record(w);
        }
        return r.toBuilder().setAggregate(a.toProto()).build();
    }

    /** The summary, then per lock its hosts and its merged waits as stap's @hist_log. */
    @Test
    void rendersASummaryThenEachLocksHostsAndHistogram() {
        List<AggregateRow> merged = List.of(
                withWaits(row("", List.of(s("futex.c:35")), stats(3, 3_600, 1_000, 1_500, 1_200, 0, 0, 0)), 1_000,
                        1_100, 1_500),
                withWaits(row("", List.of(s("0x7f00 in pid 42")), stats(1, 9, 9, 9, 9, 0, 0, 0)), 9));
        List<AggregateRow> perHost = List.of(
                row("db1", List.of(s("0x7f00 in pid 42")), stats(1, 9, 9, 9, 9, 0, 0, 0)),
                row("db1", List.of(s("futex.c:35")), stats(2, 2_100, 1_000, 1_100, 1_050, 0, 0, 0)),
                row("db2", List.of(s("futex.c:35")), stats(1, 1_500, 1_500, 1_500, 1_500, 0, 0, 0)),
                row("db2", List.of(s("not-in-the-top")), stats(1, 1, 1, 1, 1, 0, 0, 0)));
        assertThat(LocksCommand.render(merged, perHost, OutputFormat.TABLE)).isEqualTo(""
                + "LOCK              CONTENDED  TOTAL_US  AVG_US  MAX_US  HOSTS\n"
                + "futex.c:35                3      3600    1200    1500      2\n"
                + "0x7f00 in pid 42          1         9       9       9      1\n"
                + "\n"
                + "futex.c:35: contended 3 times, 3600 us in all, 1200 avg us, 1500 max us\n"
                + "HOST  CONTENDED  TOTAL_US  AVG_US  MAX_US\n"
                + "db1           2      2100    1050    1100\n"
                + "db2           1      1500    1500    1500\n"
                + "value |-------------------------------------------------- count\n"
                + "  128 |                                                   0\n"
                + "  256 |                                                   0\n"
                + "  512 |@                                                  1\n"
                + " 1024 |@@                                                 2\n"
                + " 2048 |                                                   0\n"
                + " 4096 |                                                   0\n"
                + "\n"
                + "\n"
                + "0x7f00 in pid 42: contended 1 times, 9 us in all, 9 avg us, 9 max us\n"
                + "HOST  CONTENDED  TOTAL_US  AVG_US  MAX_US\n"
                + "db1           1         9       9       9\n"
                + "value |-------------------------------------------------- count\n"
                + "    2 |                                                   0\n"
                + "    4 |                                                   0\n"
                + "    8 |@                                                  1\n"
                + "   16 |                                                   0\n"
                + "   32 |                                                   0\n"
                + "\n");
        assertThat(LocksCommand.render(merged, perHost, OutputFormat.CSV)).isEqualTo(""
                + "HOST,LOCK,CONTENDED,TOTAL_US,AVG_US,MAX_US\r\n"
                + "db1,futex.c:35,2,2100,1050,1100\r\n"
                + "db2,futex.c:35,1,1500,1500,1500\r\n"
                + "*,futex.c:35,3,3600,1200,1500\r\n"
                + "db1,0x7f00 in pid 42,1,9,9,9\r\n"
                + "*,0x7f00 in pid 42,1,9,9,9\r\n");
        // --follow: one CSV, each window's rows led by its start and end (the totals' left empty).
        assertThat(LocksCommand.csv(merged, perHost, List.of("WINDOW_START", "WINDOW_END"), List.of("s", "e"))
                .csv()).isEqualTo(""
                + "WINDOW_START,WINDOW_END,HOST,LOCK,CONTENDED,TOTAL_US,AVG_US,MAX_US\r\n"
                + "s,e,db1,futex.c:35,2,2100,1050,1100\r\n"
                + "s,e,db2,futex.c:35,1,1500,1500,1500\r\n"
                + "s,e,*,futex.c:35,3,3600,1200,1500\r\n"
                + "s,e,db1,0x7f00 in pid 42,1,9,9,9\r\n"
                + "s,e,*,0x7f00 in pid 42,1,9,9,9\r\n");
    }

    /** A stored session's hosts: how many ended it, and who did not. */
    @Test
    void aStoredSessionSaysWhichHostsDidNotAnswer() {
        SessionInfo.Builder s = SessionInfo.newBuilder().setSpec(SessionSpec.newBuilder().setSessionId("s-1"))
                .addPushedHostIds("h1").addPushedHostIds("h2").addPushedHostIds("h3")
                .addStatuses(SessionStatus.newBuilder().setHostId("h1").setState(SessionState.SESSION_STATE_STOPPED))
                .addStatuses(SessionStatus.newBuilder().setHostId("h3").setState(SessionState.SESSION_STATE_STOPPED));
        SessionInfo allEnded = s.clone().addStatuses(SessionStatus.newBuilder().setHostId("h2")
                .setState(SessionState.SESSION_STATE_STOPPED)).build();
        assertThat(LocksCommand.answered(allEnded)).isEqualTo("3 of 3 hosts ended the session");
        SessionInfo lost = s.clone().addStatuses(SessionStatus.newBuilder().setHostId("h2")
                .setState(SessionState.SESSION_STATE_LOST)).build();
        assertThat(LocksCommand.answered(lost)).isEqualTo("2 of 3 hosts ended the session; lost: h2");
    }

    private record Run(int exit, String stdout, String stderr) {
    }

    private static Run fleettap(String... args) {
        try (Capture c = Capture.install()) {
            int exit = Capture.fleettap(args);
            return new Run(exit, c.stdout(), c.stderr());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "locks | locks needs --process NAME (run a session) or --session ID / --since DUR (show stored results)",
        "locks --process futex | --process runs a session on the fleet: it needs --collector HOST:PORT",
        "locks --collector h:1 --process futex --follow --duration 5s | --follow and --duration exclude each other",
        "locks --collector h:1 --process futex --top 0 | --top must be 1 or more",
        "locks --collector h:1 --process futex --duration 5x | Invalid value for option '--duration': bad duration "
                + "'5x' (expected e.g. 500ms, 10s, 2m, 1h)",
        "locks --collector h:1 --process futex --interval 0 | --interval must be more than 0",
        "locks --collector h:1 --session s-1 --process futex | --session and --since show stored results: "
                + "--process, --hosts, --duration, --follow and --interval run a session",
        "locks --collector h:1 --since 0 | --since must be more than 0",
        "locks --collector h:1 --process futex -o xml | Invalid value for option '-o': 'xml' is not an output "
                + "format (table, json or csv)",
    })
    void badArgumentsAreOneLineWithExitStatusTwo(String args, String message) {
        Run r = fleettap(args.split(" "));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).isEqualTo("fleettap: " + message + " (see 'fleettap locks --help')\n");
    }
}
