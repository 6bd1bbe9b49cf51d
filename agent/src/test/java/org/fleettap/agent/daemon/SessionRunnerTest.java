package org.fleettap.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionRunnerTest {
    private final List<Batch> batches = new CopyOnWriteArrayList<>();
    private final RecordingListener listener = new RecordingListener();
    private final List<SessionStatus> statuses = listener.statuses;
    private final List<CompileErrors> errors = listener.errors;

    private SessionSpec counting(Path loop) {
        return SessionSpec.newBuilder().setSessionId("s-42").setScriptName("count.stp")
                .setScriptSource("global calls\nprobe process(\"" + loop + "\").function(\"f\") { calls++ }\n")
                .setExportIntervalNanos(Duration.ofMillis(20).toNanos()).build();
    }

    private long calls() throws Exception {
        MergeableAggregate total = new MergeableAggregate();
        for (Batch b : batches) {
            for (AggregateDelta d : b.getAggregatesList()) {
                assertThat(d.getName()).isEqualTo("calls");
                total.merge(MergeableAggregate.fromProto(d.getAggregate()));
            }
        }
        return total.sum();
    }

    /** Two runs of the same session on this host (an agent restart between them) number on without reuse. */
    @Test
    void runsExportsAndContinuesTheNumberingAfterARestart(@TempDir Path dir) throws Exception {
        Path loop = Fixtures.path("loop");
        SequenceStore sequences = new SequenceStore(dir);
        SessionRunner first = new SessionRunner(counting(loop), "host-a",
                Target.command(List.of(loop.toString(), "3000")), batches::add, sequences, listener).start();
        assertThat(first.join(Duration.ofSeconds(60))).isTrue();
        int firstBatches = batches.size();
        assertThat(calls()).isEqualTo(3000);
        assertThat(batches.get(firstBatches - 1).getFinalBatch()).isTrue();

        SessionRunner second = new SessionRunner(counting(loop), "host-a",
                Target.command(List.of(loop.toString(), "2000")), batches::add, new SequenceStore(dir), listener)
                .start();
        assertThat(second.join(Duration.ofSeconds(60))).isTrue();
        assertThat(calls()).isEqualTo(5000);
        for (int i = 0; i < batches.size(); i++) {
            assertThat(batches.get(i).getSequence()).isEqualTo(i + 1);
        }
        assertThat(statuses).extracting(SessionStatus::getState).containsExactly(SessionState.SESSION_STATE_RUNNING,
                SessionState.SESSION_STATE_STOPPED, SessionState.SESSION_STATE_RUNNING,
                SessionState.SESSION_STATE_STOPPED);
        assertThat(statuses).allMatch(s -> s.getHostId().equals("host-a") && s.getSessionId().equals("s-42"));
        assertThat(errors).isEmpty();
    }

    @Test
    void compileErrorsAreReportedWithTheirLocationAndTheSessionFails(@TempDir Path dir) throws Exception {
        SessionSpec bad = SessionSpec.newBuilder().setSessionId("s-bad").setScriptName("bad.stp")
                .setScriptSource("probe begin {\n  printf(\"%d\\n\", nosuch)\n}\n").build();
        SessionRunner r = new SessionRunner(bad, "host-b", Target.all(), batches::add, new SequenceStore(dir),
                listener).start();
        assertThat(r.join(Duration.ofSeconds(30))).isTrue();
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).getErrorsList()).hasSize(1);
        assertThat(errors.get(0).getErrors(0).getFile()).isEqualTo("bad.stp");
        assertThat(errors.get(0).getErrors(0).getLine()).isEqualTo(2);
        assertThat(errors.get(0).getErrors(0).getColumn()).isEqualTo(18);
        assertThat(statuses).extracting(SessionStatus::getState).containsExactly(SessionState.SESSION_STATE_FAILED);
        assertThat(statuses.get(0).getReason()).startsWith("compile error: bad.stp:2:18: ");
        assertThat(batches).isEmpty();
    }

    @Test
    void stopEndsTheSessionWithItsReasonAndAFinalBatch(@TempDir Path dir) throws Exception {
        SessionSpec idle = SessionSpec.newBuilder().setSessionId("s-idle").setScriptSource(
                "global ticks\nprobe timer.ms(10) { ticks++ }\n").build();
        SessionRunner r = new SessionRunner(idle, "host-c", Target.all(), batches::add, new SequenceStore(dir),
                listener).start();
        Thread.sleep(300);
        r.stop("stopped by the user");
        assertThat(r.join(Duration.ofSeconds(30))).isTrue();
        assertThat(statuses).extracting(SessionStatus::getState).containsExactly(SessionState.SESSION_STATE_RUNNING,
                SessionState.SESSION_STATE_STOPPED);
        assertThat(statuses.get(1).getReason()).isEqualTo("stopped by the user");
        assertThat(batches.get(batches.size() - 1).getFinalBatch()).isTrue();
    }
}
