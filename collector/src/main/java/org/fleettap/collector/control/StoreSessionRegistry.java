package org.fleettap.collector.control;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.fleettap.collector.store.Store;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionStatus;

/**
 * A {@link SessionRegistry} kept in the {@link Store}, so that sessions, where they were pushed, what hosts reported
 * and whether they were stopped or ended survive a collector restart: every change is written through (synced), and
 * reads are served from memory, loaded when the registry is opened.
 */
public final class StoreSessionRegistry implements SessionRegistry {
    private final Store store;
    private final Object lock = new Object();
    private final TreeMap<String, SessionRecord> sessions = new TreeMap<>(); // guarded by lock

    /** Loads the sessions kept in {@code store}. */
    public StoreSessionRegistry(Store store) {
        this.store = Objects.requireNonNull(store, "store");
        for (Map.Entry<String, byte[]> e : store.sessionRecords().entrySet()) {
            sessions.put(e.getKey(), RegistryRecords.decodeSession(e.getKey(), e.getValue()));
        }
    }

    @Override
    public void create(SessionSpec spec) {
        synchronized (lock) {
            if (sessions.containsKey(spec.getSessionId())) {
                throw new IllegalArgumentException("session " + spec.getSessionId() + " exists already");
            }
            put(SessionRecord.created(spec));
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

    /** Writes first, so memory never holds what the store does not. */
    private void put(SessionRecord s) {
        store.putSessionRecord(s.id(), RegistryRecords.encode(s));
        sessions.put(s.id(), s);
    }
}
