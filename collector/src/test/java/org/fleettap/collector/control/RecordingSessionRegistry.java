package org.fleettap.collector.control;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionStatus;

/** The in-memory registry, also keeping every status in the order it arrived (the registry keeps the latest). */
final class RecordingSessionRegistry implements SessionRegistry {
    private final InMemorySessionRegistry delegate = new InMemorySessionRegistry();
    final List<SessionStatus> statusLog = new CopyOnWriteArrayList<>();

    @Override
    public void create(SessionSpec spec) {
        delegate.create(spec);
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
    public void pushed(String sessionId, String hostId) {
        delegate.pushed(sessionId, hostId);
    }

    @Override
    public void status(SessionStatus status) {
        statusLog.add(status);
        delegate.status(status);
    }

    @Override
    public void compileErrors(CompileErrors errors) {
        delegate.compileErrors(errors);
    }

    @Override
    public void stopped(String sessionId, long unixNanos, String reason) {
        delegate.stopped(sessionId, unixNanos, reason);
    }

    @Override
    public void ended(String sessionId, long unixNanos, String reason) {
        delegate.ended(sessionId, unixNanos, reason);
    }
}
