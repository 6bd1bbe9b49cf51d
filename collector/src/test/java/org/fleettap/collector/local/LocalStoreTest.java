package org.fleettap.collector.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fleettap.collector.CollectorTesting.CALLS;
import static org.fleettap.collector.CollectorTesting.SECOND;
import static org.fleettap.collector.CollectorTesting.T0;
import static org.fleettap.collector.CollectorTesting.counted;
import static org.fleettap.collector.CollectorTesting.lines;
import static org.fleettap.collector.CollectorTesting.totalCount;
import static org.fleettap.collector.CollectorTesting.totalSum;

import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import org.fleettap.collector.store.Store;
import org.fleettap.collector.store.StoreOptions;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.ListHostsRequest;
import org.fleettap.proto.v1.ListHostsResponse;
import org.fleettap.proto.v1.ListSessionsRequest;
import org.fleettap.proto.v1.ListSessionsResponse;
import org.fleettap.proto.v1.OutputEvent;
import org.fleettap.proto.v1.SessionInfo;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.fleettap.proto.v1.TargetSelector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A local store in a temp directory: a run stored as a session of one host, read back by the QueryService. */
@Timeout(60)
class LocalStoreTest {
    /** A minute after the batches' windows, so that "up to now" covers them all. */
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(0, T0 + 60 * SECOND), ZoneOffset.UTC);
    private static final SessionSpec SPEC = SessionSpec.newBuilder().setScriptName("-e")
            .setScriptSource("global calls; probe begin { calls <<< 1 }").addScriptArgs("a1")
            .setExportIntervalNanos(SECOND).setCommand("./loop 10000").build();

    @TempDir
    Path dir;

    @Test
    void aRunIsStoredAsASessionOfItsHostAndReadBackByTheQueryService() throws Exception {
        String id;
        try (LocalStore store = LocalStore.create(dir.resolve("data"), CLOCK)) {
            LocalRun run = store.startRun(SPEC, "web1", "6.18.0");
            id = run.sessionId();
            for (long seq = 1; seq <= 5; seq++) {
                assertThat(run.apply(counted("web1", id, seq)).status()).isEqualTo(AckStatus.ACK_STATUS_APPLIED);
            }
            run.end(SessionState.SESSION_STATE_STOPPED, "ended");
        }
        try (LocalStore store = LocalStore.openExisting(dir.resolve("data"), CLOCK)) {
            assertThat(store.directory()).isEqualTo(dir.resolve("data"));
            ListSessionsResponse sessions = call(o -> store.queryService().listSessions(
                    ListSessionsRequest.newBuilder().setIncludeEnded(true).build(), o));
            long created = T0 + 60 * SECOND;
            assertThat(sessions.getSessionsCount()).isEqualTo(1);
            assertThat(sessions.getSessions(0).getSpec()).isEqualTo(SPEC.toBuilder().setSessionId(id)
                    .setCreatedUnixNanos(created).setTarget(TargetSelector.newBuilder().addHostIds("web1")).build());
            assertThat(sessions.getSessions(0).getStatusesList()).containsExactly(SessionStatus.newBuilder()
                    .setSessionId(id).setHostId("web1").setState(SessionState.SESSION_STATE_STOPPED)
                    .setReason("ended").setTimeUnixNanos(created).build());
            // Ended: a collector lists it only with include_ended.
            assertThat(call((StreamObserver<ListSessionsResponse> o) -> store.queryService().listSessions(
                    ListSessionsRequest.getDefaultInstance(), o)).getSessionsList()).isEmpty();

            ListHostsResponse hosts = call(o -> store.queryService().listHosts(ListHostsRequest.getDefaultInstance(),
                    o));
            assertThat(hosts.getHostsList()).hasSize(1);
            assertThat(hosts.getHosts(0).getHostId()).isEqualTo("web1");
            assertThat(hosts.getHosts(0).getKernelVersion()).isEqualTo("6.18.0");
            assertThat(hosts.getHosts(0).getConnected()).isFalse();

            AggregateQueryResponse r = call(o -> store.queryService().queryAggregates(AggregateQuery.newBuilder()
                    .setSessionId(id).setName(CALLS).setGroupBy(GroupBy.GROUP_BY_NONE).build(), o));
            assertThat(r.getRowsCount()).isEqualTo(1);
            assertThat(r.getRows(0).getStats().getCount()).isEqualTo(totalCount(5));
            assertThat(r.getRows(0).getStats().getSum()).isEqualTo(totalSum(5));
        }
        try (Store raw = Store.open(dir.resolve("data"), StoreOptions.defaults())) {
            assertThat(raw.output(id, Set.of(), 0, 100).stream().map(e -> e.getLine().getText()).toList())
                    .isEqualTo(lines("web1", 1, 5));
        }
    }

    @Test
    void twoRunsAreTwoSessionsInCreationOrder() throws Exception {
        try (LocalStore store = LocalStore.create(dir, CLOCK)) {
            LocalRun first = store.startRun(SPEC, "web1", "");
            first.end(SessionState.SESSION_STATE_FAILED, "uprobe: permission denied");
            LocalRun second = store.startRun(SPEC.toBuilder().setCommand("").build(), "web1", "");
            assertThat(second.sessionId()).isGreaterThan(first.sessionId());
            ListSessionsResponse all = call(o -> store.queryService().listSessions(
                    ListSessionsRequest.newBuilder().setIncludeEnded(true).build(), o));
            assertThat(all.getSessionsList()).extracting(s -> s.getSpec().getSessionId())
                    .containsExactly(first.sessionId(), second.sessionId());
            assertThat(all.getSessions(0).getStatuses(0).getState()).isEqualTo(SessionState.SESSION_STATE_FAILED);
            assertThat(all.getSessions(0).getStatuses(0).getReason()).isEqualTo("uprobe: permission denied");
            // Still running: listed without include_ended.
            assertThat(call((StreamObserver<ListSessionsResponse> o) -> store.queryService().listSessions(
                    ListSessionsRequest.getDefaultInstance(), o)).getSessionsList())
                    .extracting(s -> s.getSpec().getSessionId()).containsExactly(second.sessionId());
        }
    }

    @Test
    void aRunEndsOnceAndTakesOnlyItsOwnBatches() throws Exception {
        try (LocalStore store = LocalStore.create(dir, CLOCK)) {
            LocalRun run = store.startRun(SPEC, "web1", "");
            assertThatThrownBy(() -> run.apply(counted("web2", run.sessionId(), 1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("batch of session " + run.sessionId() + " on host web2 given to the run of session "
                            + run.sessionId() + " on host web1");
            assertThatThrownBy(() -> run.end(SessionState.SESSION_STATE_RUNNING, "x"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("a run ends STOPPED or FAILED, not SESSION_STATE_RUNNING");
            run.end(SessionState.SESSION_STATE_STOPPED, "ended");
            run.end(SessionState.SESSION_STATE_FAILED, "later");
            SessionInfo s = call((StreamObserver<ListSessionsResponse> o) -> store.queryService().listSessions(
                    ListSessionsRequest.newBuilder().setIncludeEnded(true).build(), o)).getSessions(0);
            assertThat(s.getStatusesList()).extracting(SessionStatus::getReason).containsExactly("ended");
        }
    }

    @Test
    void aSecondOpenerIsToldTheDirectoryIsInUse() throws Exception {
        try (LocalStore store = LocalStore.create(dir, CLOCK)) {
            assertThatThrownBy(() -> LocalStore.create(dir, CLOCK)).isInstanceOf(LocalStoreException.class)
                    .hasMessage(dir + " is in use by another fleettap process");
            assertThatThrownBy(() -> LocalStore.openExisting(dir, CLOCK)).isInstanceOf(LocalStoreException.class)
                    .hasMessage(dir + " is in use by another fleettap process");
        }
        // Closed: free again.
        LocalStore.openExisting(dir, CLOCK).close();
    }

    @Test
    void readingNeedsADirectoryWithAStoreAndCreatesNothing() throws Exception {
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> LocalStore.openExisting(missing, CLOCK)).isInstanceOf(LocalStoreException.class)
                .hasMessage("no fleettap store at " + missing + " (no such directory)");
        assertThat(missing).doesNotExist();
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThatThrownBy(() -> LocalStore.openExisting(empty, CLOCK)).isInstanceOf(LocalStoreException.class)
                .hasMessage(empty + " holds no fleettap store");
        try (var files = Files.list(empty)) {
            assertThat(files.toList()).isEmpty();
        }
    }

    @Test
    void aStoreThatCannotBeCreatedIsOneLine() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "");
        assertThatThrownBy(() -> LocalStore.create(file.resolve("data"), CLOCK))
                .isInstanceOf(LocalStoreException.class)
                .hasMessageStartingWith("opening store at " + file.resolve("data") + ": ")
                .hasMessageNotContaining("\n");
    }

    /** Calls a unary service method and returns its answer (or throws its error). */
    private static <T> T call(java.util.function.Consumer<StreamObserver<T>> method) {
        Object[] result = new Object[2];
        method.accept(new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                result[0] = value;
            }

            @Override
            public void onError(Throwable t) {
                result[1] = t;
            }

            @Override
            public void onCompleted() {
            }
        });
        if (result[1] != null) {
            throw new AssertionError("call failed", (Throwable) result[1]);
        }
        @SuppressWarnings("unchecked")
        T value = (T) result[0];
        return value;
    }
}
