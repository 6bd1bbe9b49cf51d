package org.fleettap.collector.control;

import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionStatus;

/** A {@link SessionRegistry} in memory, lost with the process (tests, and collectors run without a store). */
public final class InMemorySessionRegistry implements SessionRegistry {
    private final Object lock = new Object();
    private final TreeMap<String, SessionRecord> sessions = new TreeMap<>();

    @Override
    public void create(SessionSpec spec) {
        synchronized (lock) {
            if (sessions.putIfAbsent(spec.getSessionId(), SessionRecord.created(spec)) != null) {
                throw new IllegalArgumentException("session " + spec.getSessionId() + " exists already");
            }
        }
    }

    @Override
    public Optional<SessionRecord> session(String sessionId) {
        synchronized (lock) {
            return Optional.ofNullable(sessions.get(sessionId));
        }
    }

    @Override
    public List<SessionRecord> sessions(boolean includeEnded) {
        synchronized (lock) {
            return sessions.values().stream().filter(s -> includeEnded || !s.isEnded()).toList();
        }
    }

    @Override
    public void update(String sessionId, UnaryOperator<SessionRecord> change) {
        synchronized (lock) {
            SessionRecord s = sessions.get(sessionId);
            if (s == null) {
                throw new IllegalArgumentException("unknown session " + sessionId);
            }
            sessions.put(sessionId, change.apply(s));
        }
    }
}
