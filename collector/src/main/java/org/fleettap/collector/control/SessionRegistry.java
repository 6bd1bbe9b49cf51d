package org.fleettap.collector.control;

import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionStatus;

/**
 * The sessions the collector started, with what hosts reported about them, kept across collector restarts by the
 * store. Every update names a session that exists ({@link IllegalArgumentException} otherwise); the control plane
 * checks first and serializes its own read-modify-write sequences. Implementations are thread-safe.
 */
public interface SessionRegistry {
    /** Stores a new session started by {@code startedBy}; {@link IllegalArgumentException} if its id is taken. */
    void create(SessionSpec spec, String startedBy);

    Optional<SessionRecord> session(String sessionId);

    /** Sessions in id order (which is creation order); ended ones only with {@code includeEnded}. */
    List<SessionRecord> sessions(boolean includeEnded);

    /**
     * Replaces the session's record with {@code change} applied to it, atomically; {@link
     * IllegalArgumentException} for an unknown session. Every other change is one of these.
     */
    void update(String sessionId, UnaryOperator<SessionRecord> change);

    /** Records that the session was pushed to (or is run by) the host. */
    default void pushed(String sessionId, String hostId) {
        update(sessionId, s -> s.withPushed(hostId));
    }

    /** Keeps {@code status} as its host's latest status for its session. */
    default void status(SessionStatus status) {
        update(status.getSessionId(), s -> s.withStatus(status));
    }

    /** Keeps {@code errors} as its host's compile errors for its session. */
    default void compileErrors(CompileErrors errors) {
        update(errors.getSessionId(), s -> s.withCompileErrors(errors));
    }

    /** Records that StopSession was called. */
    default void stopped(String sessionId, long unixNanos, String reason) {
        update(sessionId, s -> s.withStopped(unixNanos, reason));
    }

    /** Records that the session is over on every host it was pushed to. */
    default void ended(String sessionId, long unixNanos, String reason) {
        update(sessionId, s -> s.withEnded(unixNanos, reason));
    }

    /** Records that the collector applied the host's final batch of the session. */
    default void complete(String sessionId, String hostId) {
        update(sessionId, s -> s.withComplete(hostId));
    }
}
