package org.fleettap.collector.control;

import java.util.List;
import java.util.Optional;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionStatus;

/**
 * The sessions the collector started, with what hosts reported about them, kept across collector restarts by the
 * store. Every update names a session that exists ({@link IllegalArgumentException} otherwise); the control plane
 * checks first and serializes its own read-modify-write sequences. Implementations are thread-safe.
 */
public interface SessionRegistry {
    /** Stores a new session; {@link IllegalArgumentException} if its id is taken. */
    void create(SessionSpec spec);

    Optional<SessionRecord> session(String sessionId);

    /** Sessions in id order (which is creation order); ended ones only with {@code includeEnded}. */
    List<SessionRecord> sessions(boolean includeEnded);

    /** Records that the session was pushed to (or is run by) the host. */
    void pushed(String sessionId, String hostId);

    /** Keeps {@code status} as its host's latest status for its session. */
    void status(SessionStatus status);

    /** Keeps {@code errors} as its host's compile errors for its session. */
    void compileErrors(CompileErrors errors);

    /** Records that StopSession was called. */
    void stopped(String sessionId, long unixNanos, String reason);

    /** Records that the session is over on every host it was pushed to. */
    void ended(String sessionId, long unixNanos, String reason);
}
