package org.fleettap.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.agent.policy.Policy;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.OutputLine;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's policy on sessions the collector pushes, with real probes on the loop fixture. */
class SessionRunnerPolicyTest {
    private final List<Batch> batches = new CopyOnWriteArrayList<>();
    private final RecordingListener listener = new RecordingListener();
    private final List<SessionStatus> statuses = listener.statuses;
    private final List<CompileErrors> errors = listener.errors;

    private static SessionSpec counting(Path loop) {
        return SessionSpec.newBuilder().setSessionId("s-p").setScriptName("count.stp")
                .setScriptSource("global calls\nprobe begin { printf(\"attached\\n\") }\n"
                        + "probe process(\"" + loop + "\").function(\"f\") { calls++ }\n")
                .setExportIntervalNanos(Duration.ofMillis(20).toNanos()).build();
    }

    private static Policy policy(Path dir, String text) throws Exception {
        Path f = dir.resolve("policy.yaml");
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return Policy.read(f);
    }

    private SessionRunner start(Path dir, Path loop, Policy policy) {
        return new SessionRunner(counting(loop), "host-p", Target.all(), batches::add,
                new SequenceStore(dir.resolve("seq")), listener, policy).start();
    }

    /** Runs {@code script} under {@code policyText} against the loop fixture launched by the session, 5000 calls. */
    private SessionRunner underCommand(Path dir, Path loop, String script, String policyText) throws Exception {
        SessionSpec spec = SessionSpec.newBuilder().setSessionId("s-cmd").setScriptName("budget.stp")
                .setScriptSource(script).setExportIntervalNanos(Duration.ofMillis(20).toNanos()).build();
        return new SessionRunner(spec, "host-p", Target.command(List.of(loop.toString(), "5000")), batches::add,
                new SequenceStore(dir.resolve("seq")), listener, policy(dir, policyText)).start();
    }

    private void awaitAttached() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (Batch b : batches) {
                if (b.getOutputList().stream().map(OutputLine::getText).anyMatch("attached"::equals)) {
                    return;
                }
            }
            if (statuses.stream().anyMatch(s -> s.getState() != SessionState.SESSION_STATE_RUNNING)) {
                throw new AssertionError("session ended before attaching: " + statuses);
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the session did not attach within 60 s");
    }

    private long calls() throws Exception {
        MergeableAggregate total = new MergeableAggregate();
        for (Batch b : batches) {
            for (AggregateDelta d : b.getAggregatesList()) {
                total.merge(MergeableAggregate.fromProto(d.getAggregate()));
            }
        }
        return total.sum();
    }

    /** Runs the loop fixture to its end; returns its exit status (its count of f() calls, mod 256). */
    private static int runLoop(List<String> prefix, Path loop, int n) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(prefix);
        cmd.add(loop.toString());
        cmd.add(Integer.toString(n));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    @Test
    void aBinaryThePolicyDoesNotNameIsRefusedBeforeAnythingIsAttached(@TempDir Path dir) throws Exception {
        Path loop = Fixtures.path("loop").toRealPath();
        Policy p = policy(dir, "binaries: [\"/usr/sbin/mydb\", \"/opt/app/**\"]\n");
        SessionRunner r = start(dir, loop, p);
        assertThat(r.join(Duration.ofSeconds(60))).isTrue();
        assertThat(statuses).extracting(SessionStatus::getState).containsExactly(SessionState.SESSION_STATE_FAILED);
        assertThat(statuses.get(0).getReason()).isEqualTo("policy: " + dir.resolve("policy.yaml") + ":1:11: binaries "
                + "does not allow " + loop);
        assertThat(batches).isEmpty();
        assertThat(errors).isEmpty();
        // Nothing was attached: the program runs untraced.
        assertThat(runLoop(List.of(), loop, 3000)).isEqualTo(3000 % 256);
    }

    @Test
    void anAllowedBinaryRunsAndIsCounted(@TempDir Path dir) throws Exception {
        Path loop = Fixtures.path("loop").toRealPath();
        Policy p = policy(dir, "binaries: [\"" + loop.getParent() + "/*\"]\nmax_events_per_second: 100000000\n");
        SessionRunner r = start(dir, loop, p);
        awaitAttached();
        assertThat(runLoop(List.of(), loop, 3000)).isEqualTo(3000 % 256);
        r.stop("done");
        assertThat(r.join(Duration.ofSeconds(60))).isTrue();
        assertThat(calls()).isEqualTo(3000);
        assertThat(statuses.get(statuses.size() - 1).getReason()).isEqualTo("done");
    }

    /**
     * The user of a process is read when it execs (setpriv changes it before): the waitloop fixture waits for a line
     * after it started, so that the session has read it, then calls f() {@code n} times on its main thread.
     */
    private static void runWaitloop(List<String> prefix, Path waitloop, int n) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(prefix);
        cmd.addAll(List.of(waitloop.toString(), Integer.toString(n), "0", "0"));
        Process p = new ProcessBuilder(cmd).start();
        try (java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("ready");
            Thread.sleep(1000); // the exec record is handled (and the user read) while the process waits
            p.getOutputStream().write('\n');
            p.getOutputStream().flush();
            assertThat(out.readLine()).isEqualTo("calls=" + n);
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void eventsOfUsersThePolicyDoesNotNameNeverReachTheScript(@TempDir Path dir) throws Exception {
        Path waitloop = Fixtures.path("waitloop").toRealPath();
        SessionRunner r = start(dir, waitloop, policy(dir, "users: [nobody]\n"));
        awaitAttached();
        runWaitloop(List.of(), waitloop, 3000); // root's: dropped
        runWaitloop(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"), waitloop, 2000);
        r.stop("done");
        assertThat(r.join(Duration.ofSeconds(60))).isTrue();
        assertThat(calls()).isEqualTo(2000);
    }

    @Test
    void aSessionOverItsEventBudgetIsStoppedAndSaysWhyWhileTheProgramRunsOn(@TempDir Path dir) throws Exception {
        Path loop = Fixtures.path("loop").toRealPath();
        SessionRunner r = start(dir, loop, policy(dir, "max_events_per_second: 1000\n"));
        awaitAttached();
        assertThat(runLoop(List.of(), loop, 300_000)).isEqualTo(300_000 % 256);
        assertThat(r.join(Duration.ofSeconds(60))).isTrue();
        SessionStatus last = statuses.get(statuses.size() - 1);
        assertThat(last.getState()).isEqualTo(SessionState.SESSION_STATE_STOPPED);
        assertThat(last.getReason()).matches("stopped by policy: [0-9]+ events/s over max_events_per_second 1000");
        assertThat(Long.parseLong(last.getReason().split(" ")[3])).isGreaterThan(1000);
        // The handler saw the budget and no more.
        assertThat(calls()).isEqualTo(1000);
        assertThat(batches.get(batches.size() - 1).getFinalBatch()).isTrue();
    }

    @Test
    void aSessionOverItsOutputBudgetIsStopped(@TempDir Path dir) throws Exception {
        Path loop = Fixtures.path("loop").toRealPath();
        SessionRunner r = underCommand(dir, loop, "probe process(\"" + loop + "\").function(\"f\") { printf(\"%s\\n\", "
                + "\"0123456789012345678901234567890123456789\") }\n", "max_output_bytes_per_second: 4096\n");
        assertThat(r.join(Duration.ofSeconds(60))).isTrue();
        SessionStatus last = statuses.get(statuses.size() - 1);
        assertThat(last.getReason())
                .matches("stopped by policy: [0-9]+ bytes/s of output over max_output_bytes_per_second 4096");
        long lines = batches.stream().mapToLong(Batch::getOutputCount).sum();
        // 41 bytes a line: 99 lines fit in 4096 bytes, the 100th passes the budget and is not written.
        assertThat(lines).isEqualTo(99);
    }

    @Test
    void aSessionOverItsMapBudgetIsStopped(@TempDir Path dir) throws Exception {
        Path loop = Fixtures.path("loop").toRealPath();
        SessionRunner r = underCommand(dir, loop, "global seen[100000]\nglobal n\nprobe process(\"" + loop
                + "\").function(\"f\") { seen[n++] = 1 }\n", "max_map_entries: 500\n");
        assertThat(r.join(Duration.ofSeconds(60))).isTrue();
        SessionStatus last = statuses.get(statuses.size() - 1);
        assertThat(last.getReason()).isEqualTo("stopped by policy: 501 map entries over max_map_entries 500");
    }
}
