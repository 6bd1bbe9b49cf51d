package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's agent policy end to end: `fleettap collector`, `fleettap agent --policy FILE` and `fleettap run
 * --collector` as processes, real uprobes on the loop fixture. The collector sends every session to every agent; the
 * agent's own file decides what runs there.
 */
class PolicyIT {
    private static final Path LOOP = Fleettap.ROOT.resolve("agent/target/fixtures/loop");
    /** Counts f() calls; says "armed" once its probes are attached on a host. */
    private static final String SCRIPT = "global calls\nprobe begin { println(\"armed\") }\nprobe process(\"" + LOOP
            + "\").function(\"f\") { calls++ }\n";

    @TempDir
    Path dir;

    private Path policy(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    private String startSession(LoopbackFleet fleet) throws Exception {
        fleet.start("run", "run", "--collector", fleet.address(), "-e", SCRIPT);
        Fleettap.waitFor(() -> fleet.out("run").startsWith("session "), "the session id");
        return fleet.out("run").lines().findFirst().orElseThrow().substring("session ".length()).strip();
    }

    /** Runs the loop fixture untraced by this test; returns its exit status (its count of f() calls, mod 256). */
    private static int loop(int calls) throws Exception {
        Process p = new ProcessBuilder(LOOP.toString(), Integer.toString(calls)).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    private static long queriedCalls(LoopbackFleet fleet, String session) {
        Fleettap.Result r = Fleettap.run("query", "--collector", fleet.address(), "--session", session, "calls",
                "-o", "json");
        Matcher m = Pattern.compile("\"sum\"\\s*:\\s*\"?(-?\\d+)").matcher(r.stdout());
        return r.exit() == 0 && m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    @Test
    void aBinaryThePolicyDoesNotAllowIsRefusedOnThatHostWhileAnotherHostRunsIt() throws Exception {
        try (LoopbackFleet fleet = new LoopbackFleet(dir)) {
            fleet.collector("collector");
            Path strict = policy("strict.yaml", "# db hosts only\nbinaries: [\"/usr/sbin/mydb\", \"/opt/app/**\"]\n");
            Path open = policy("open.yaml", "binaries: [\"" + LOOP.getParent() + "/*\"]\nkernel_probes: false\n");
            fleet.agent("agent-1", "h1", "--policy", strict.toString());
            fleet.agent("agent-2", "h2", "--policy", open.toString());
            assertThat(fleet.err("agent-1")).contains("policy " + strict + ": binaries (2)");
            String session = startSession(fleet);
            String denial = "h1: session failed: policy: " + strict + ":2:11: binaries does not allow " + LOOP;
            Fleettap.waitFor(() -> fleet.err("run").contains(denial), "h1's denial");
            Fleettap.waitFor(() -> fleet.out("run").contains("[h2] armed"), "h2 to arm the session");
            assertThat(fleet.out("run")).doesNotContain("[h1] armed");
            assertThat(loop(3000)).isEqualTo(3000 % 256);
            // Only h2 counts: both agents see every process on this machine, but h1 attached nothing.
            Fleettap.waitFor(() -> queriedCalls(fleet, session) >= 3000, "the collector to have 3000 calls");
            Thread.sleep(2500);
            assertThat(queriedCalls(fleet, session)).isEqualTo(3000);
            assertThat(fleet.err("agent-1")).contains("session " + session + " failed: policy: " + strict + ":2:11");
        }
    }

    @Test
    void aSessionOverItsEventBudgetIsStoppedAndSaysWhyAndTheProgramEndsNormally() throws Exception {
        try (LoopbackFleet fleet = new LoopbackFleet(dir)) {
            fleet.collector("collector");
            Path budget = policy("budget.yaml", "max_events_per_second: 1000\n");
            fleet.agent("agent", "h1", "--policy", budget.toString());
            String session = startSession(fleet);
            Fleettap.waitFor(() -> fleet.out("run").contains("[h1] armed"), "h1 to arm the session");
            assertThat(loop(300_000)).isEqualTo(300_000 % 256);
            Pattern reason = Pattern.compile("stopped by policy: (\\d+) events/s over max_events_per_second 1000");
            Fleettap.waitFor(() -> reason.matcher(fleet.err("run")).find(), "the run to say why h1 stopped");
            Matcher m = reason.matcher(fleet.err("run"));
            assertThat(m.find()).isTrue();
            assertThat(Long.parseLong(m.group(1))).isGreaterThan(1000);
            assertThat(fleet.err("run")).contains("h1: " + m.group());
            Process run = fleet.process("run");
            assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue(); // every host ended the session
            Fleettap.Result sessions = Fleettap.run("sessions", "--collector", fleet.address(), "--all", "-o", "json");
            assertThat(sessions.exit()).isZero();
            assertThat(sessions.stdout()).contains(m.group());
            assertThat(queriedCalls(fleet, session)).isEqualTo(1000);
            // The probes are gone: the next run is not slowed or counted, and ends normally.
            assertThat(loop(5000)).isEqualTo(5000 % 256);
            assertThat(queriedCalls(fleet, session)).isEqualTo(1000);
        }
    }
}
