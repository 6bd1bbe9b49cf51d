package org.fleettap.agent.daemon;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.SessionStatus;

/** Keeps what a {@link SessionRunner} reports, in order; safe to read while the session runs. */
final class RecordingListener implements SessionRunner.Listener {
    final List<SessionStatus> statuses = new CopyOnWriteArrayList<>();
    final List<CompileErrors> errors = new CopyOnWriteArrayList<>();

    @Override
    public void status(SessionStatus s) {
        statuses.add(s);
    }

    @Override
    public void compileErrors(CompileErrors e) {
        errors.add(e);
    }
}
