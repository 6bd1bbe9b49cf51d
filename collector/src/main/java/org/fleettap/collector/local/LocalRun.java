package org.fleettap.collector.local;

import java.util.Objects;
import java.util.function.LongSupplier;
import org.fleettap.collector.control.AgentRegistry;
import org.fleettap.collector.control.SessionRegistry;
import org.fleettap.collector.store.ApplyResult;
import org.fleettap.collector.store.Store;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.fleettap.proto.v1.SpoolStatus;

/**
 * One local run's session in a {@link LocalStore}: its batches are applied to the store as the collector applies
 * an agent's, and its start and end are recorded as the host's statuses of the session, as an agent reports them.
 * Used from one thread.
 */
public final class LocalRun {
    private final Store store;
    private final AgentRegistry agents;
    private final SessionRegistry sessions;
    private final String sessionId;
    private final String hostId;
    private final LongSupplier nowNanos;
    private boolean ended;

    LocalRun(Store store, AgentRegistry agents, SessionRegistry sessions, String sessionId, String hostId,
            LongSupplier nowNanos) {
        this.store = store;
        this.agents = agents;
        this.sessions = sessions;
        this.sessionId = sessionId;
        this.hostId = hostId;
        this.nowNanos = nowNanos;
        status(SessionState.SESSION_STATE_RUNNING, "");
    }

    public String sessionId() {
        return sessionId;
    }

    public String hostId() {
        return hostId;
    }

    /**
     * Applies one batch the run's exporter made (for this session and host), synced to disk when this returns.
     *
     * @throws org.fleettap.collector.store.StoreException when the store cannot write it
     * @throws IllegalArgumentException for a batch of another session or host
     */
    public ApplyResult apply(Batch batch) {
        Objects.requireNonNull(batch, "batch");
        if (!batch.getSessionId().equals(sessionId) || !batch.getHostId().equals(hostId)) {
            throw new IllegalArgumentException("batch of session " + batch.getSessionId() + " on host "
                    + batch.getHostId() + " given to the run of session " + sessionId + " on host " + hostId);
        }
        return store.apply(batch);
    }

    /**
     * Records that the run ended — {@code state} STOPPED when it ran to its end, FAILED when it could not — with a
     * reason for people; the session ends with it. Only the first call counts.
     */
    public void end(SessionState state, String reason) {
        if (state != SessionState.SESSION_STATE_STOPPED && state != SessionState.SESSION_STATE_FAILED) {
            throw new IllegalArgumentException("a run ends STOPPED or FAILED, not " + state);
        }
        if (ended) {
            return;
        }
        ended = true;
        status(state, reason);
        long now = nowNanos.getAsLong();
        sessions.ended(sessionId, now, reason);
        agents.heartbeat(hostId, now, SpoolStatus.getDefaultInstance());
    }

    private void status(SessionState state, String reason) {
        sessions.status(SessionStatus.newBuilder().setSessionId(sessionId).setHostId(hostId).setState(state)
                .setReason(reason).setTimeUnixNanos(nowNanos.getAsLong()).build());
    }
}
