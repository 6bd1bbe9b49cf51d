package org.fleettap.collector.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.fleettap.collector.store.Store;
import org.fleettap.collector.store.StoreOptions;
import org.fleettap.proto.v1.Capabilities;
import org.fleettap.proto.v1.CompileError;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.fleettap.proto.v1.SpoolStatus;
import org.fleettap.proto.v1.TargetSelector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store-backed registries keep every field of their records across a reopen of the store. */
class StoreRegistriesTest {
    @TempDir
    Path tmp;

    @Test
    void hostsKeepRegistrationTimesAndSpoolAcrossAReopen() {
        RegisterRequest web = RegisterRequest.newBuilder().setHostId("web-1").putLabels("zone", "eu").setCpus(8)
                .setKernelVersion("6.8").setAgentVersion("0.1").setCapabilities(Capabilities.newBuilder()
                        .setUprobePmu(true).setTracefs(true)).build();
        SpoolStatus spool = SpoolStatus.newBuilder().setBatches(3).setBytes(300).setDroppedBatches(1).build();
        try (Store store = Store.open(tmp, StoreOptions.defaults())) {
            StoreAgentRegistry r = new StoreAgentRegistry(store);
            r.register(web, 100);
            assertThat(r.heartbeat("web-1", 200, spool)).isTrue();
            assertThat(r.heartbeat("nobody", 200, spool)).isFalse();
            r.register(RegisterRequest.newBuilder().setHostId("db-1").build(), 150);
        }
        try (Store store = Store.open(tmp, StoreOptions.defaults())) {
            StoreAgentRegistry r = new StoreAgentRegistry(store);
            assertThat(r.hosts()).containsExactly(
                    new HostRecord(RegisterRequest.newBuilder().setHostId("db-1").build(), 150, 150,
                            SpoolStatus.getDefaultInstance()),
                    new HostRecord(web, 100, 200, spool));
            r.register(web.toBuilder().setKernelVersion("6.9").build(), 300);
            assertThat(r.host("web-1").orElseThrow().spool()).as("kept by a new registration").isEqualTo(spool);
        }
    }

    @Test
    void sessionsKeepPushesStatusesErrorsStopsAndEndsAcrossAReopen() {
        SessionSpec spec = SessionSpec.newBuilder().setSessionId("s1").setScriptName("a.stp")
                .setScriptSource("probe begin {}").setTarget(TargetSelector.newBuilder().addHostIds("web-1"))
                .setDurationNanos(5).setCreatedUnixNanos(42).build();
        SessionStatus status = SessionStatus.newBuilder().setSessionId("s1").setHostId("web-1")
                .setState(SessionState.SESSION_STATE_FAILED).setReason("compile errors").setTimeUnixNanos(7).build();
        CompileErrors errors = CompileErrors.newBuilder().setSessionId("s1").setHostId("web-1")
                .addErrors(CompileError.newBuilder().setFile("a.stp").setLine(1).setColumn(7).setMessage("bad"))
                .build();
        SessionRecord before;
        try (Store store = Store.open(tmp, StoreOptions.defaults())) {
            StoreSessionRegistry r = new StoreSessionRegistry(store);
            r.create(spec, "alice");
            r.create(SessionSpec.newBuilder().setSessionId("s2").build(), "");
            r.pushed("s1", "web-1");
            r.status(status);
            r.compileErrors(errors);
            r.stopped("s1", 8, "stopped by request");
            r.ended("s1", 9, "failed on every host");
            assertThatThrownBy(() -> r.create(spec, "bob")).hasMessage("session s1 exists already");
            assertThatThrownBy(() -> r.pushed("s3", "h")).hasMessage("unknown session s3");
            before = r.session("s1").orElseThrow();
        }
        try (Store store = Store.open(tmp, StoreOptions.defaults())) {
            StoreSessionRegistry r = new StoreSessionRegistry(store);
            assertThat(r.session("s1")).contains(before);
            assertThat(before.pushedHosts()).containsExactly("web-1");
            assertThat(before.statuses()).containsEntry("web-1", status);
            assertThat(before.compileErrors()).containsEntry("web-1", errors);
            assertThat(before.stoppedUnixNanos()).isEqualTo(8);
            assertThat(before.endReason()).isEqualTo("failed on every host");
            assertThat(before.startedBy()).isEqualTo("alice");
            assertThat(before.toInfo().getStartedBy()).isEqualTo("alice");
            assertThat(r.session("s2").orElseThrow().startedBy()).isEmpty();
            assertThat(r.sessions(false)).extracting(SessionRecord::id).containsExactly("s2");
            assertThat(r.sessions(true)).extracting(SessionRecord::id).containsExactly("s1", "s2");
        }
    }
}
