package org.fleettap.collector.control;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.fleettap.proto.v1.SessionSpec;

/**
 * A {@link SessionRegistry} in memory, lost with the process (tests, and collectors run without a store); the store's
 * registry is this one with every change written through first ({@link #persist}).
 */
public class InMemorySessionRegistry implements SessionRegistry {
    private final Object lock = new Object();
    private final TreeMap<String, SessionRecord> sessions = new TreeMap<>(); // guarded by lock

    public InMemorySessionRegistry() {
    }

    /** A registry holding {@code records} to begin with (loaded from somewhere). */
    protected InMemorySessionRegistry(Collection<SessionRecord> records) {
        records.forEach(r -> sessions.put(r.id(), r));
    }

    /** Called, under the registry's lock, with each new or changed record before memory holds it. */
    protected void persist(SessionRecord s) {
    }

    @Override
    public void create(SessionSpec spec, String startedBy) {
        synchronized (lock) {
            if (sessions.containsKey(spec.getSessionId())) {
                throw new IllegalArgumentException("session " + spec.getSessionId() + " exists already");
            }
            put(SessionRecord.created(spec, startedBy));
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
            put(change.apply(s));
        }
    }

    /** Persists first, so memory never holds what the store does not. */
    private void put(SessionRecord s) {
        persist(s);
        sessions.put(s.id(), s);
    }
}
