package org.fleettap.collector.control;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionStatus;

/** The in-memory registry, also keeping every status in the order it arrived (the registry keeps the latest). */
final class RecordingSessionRegistry implements SessionRegistry {
    private final InMemorySessionRegistry delegate = new InMemorySessionRegistry();
    final List<SessionStatus> statusLog = new CopyOnWriteArrayList<>();

    @Override
    public void create(SessionSpec spec, String startedBy) {
        delegate.create(spec, startedBy);
    }

    @Override
    public Optional<SessionRecord> session(String sessionId) {
        return delegate.session(sessionId);
    }

    @Override
    public List<SessionRecord> sessions(boolean includeEnded) {
        return delegate.sessions(includeEnded);
    }

    @Override
    public void update(String sessionId, UnaryOperator<SessionRecord> change) {
        delegate.update(sessionId, change);
    }

    @Override
    public void status(SessionStatus status) {
        statusLog.add(status);
        SessionRegistry.super.status(status);
    }
}
