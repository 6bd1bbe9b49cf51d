package org.fleettap.agent.daemon;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.fleettap.agent.compiler.CompileException;
import org.fleettap.agent.compiler.CompiledScript;
import org.fleettap.agent.compiler.ScriptCompiler;
import org.fleettap.agent.export.Exporter;
import org.fleettap.agent.export.OutputLines;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.policy.Binaries;
import org.fleettap.agent.policy.Policy;
import org.fleettap.agent.policy.SessionGuard;
import org.fleettap.agent.probe.ProbeException;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.script.Compilation;
import org.fleettap.agent.script.Diagnostic;
import org.fleettap.agent.script.Frontend;
import org.fleettap.agent.script.Source;
import org.fleettap.agent.session.Session;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.target.TargetException;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.CompileError;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one session the collector pushed: compiles its script on this host, runs it against every process here
 * (the script's probe points say which), and exports what it does every interval through {@code sink}, numbering
 * batches after what this host used for the session before (so a restarted agent continues the count). Status
 * changes and compile errors go to the listener. One thread per session.
 *
 * <p>The host's {@link Policy} is applied here, whatever the collector sent: a session whose probes the policy does
 * not allow fails before anything is attached, its status naming the rule; while it runs, a {@link SessionGuard}
 * drops events of users the policy does not allow and stops the session when it passes a budget, with the reason
 * as its status.
 */
public final class SessionRunner {
    private static final Logger log = LoggerFactory.getLogger(SessionRunner.class);
    /** The export interval when the session does not set one. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);

    /** Where a session's status and compile errors go (the control stream). */
    public interface Listener {
        void status(SessionStatus status);

        void compileErrors(CompileErrors errors);
    }

    private final SessionSpec spec;
    private final String hostId;
    private final Consumer<Batch> sink;
    private final SequenceStore sequences;
    private final Listener listener;
    private final Target target;
    private final Policy policy;
    private final Thread thread;
    private volatile String stopReason;

    public SessionRunner(SessionSpec spec, String hostId, Target target, Consumer<Batch> sink, SequenceStore sequences,
            Listener listener) {
        this(spec, hostId, target, sink, sequences, listener, Policy.NONE);
    }

    /** A runner that holds the session to {@code policy}. */
    public SessionRunner(SessionSpec spec, String hostId, Target target, Consumer<Batch> sink, SequenceStore sequences,
            Listener listener, Policy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.spec = Objects.requireNonNull(spec, "spec");
        this.hostId = Objects.requireNonNull(hostId, "hostId");
        this.target = Objects.requireNonNull(target, "target");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.sequences = Objects.requireNonNull(sequences, "sequences");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.thread = new Thread(this::run, "session-" + spec.getSessionId());
        this.thread.setDaemon(true);
    }

    public String sessionId() {
        return spec.getSessionId();
    }

    public SessionRunner start() {
        thread.start();
        return this;
    }

    /** Asks the session to stop: its end probes run, and its last batch is sent. */
    public void stop(String reason) {
        stopReason = reason == null || reason.isEmpty() ? "stopped" : reason;
    }

    /** Waits for the session to end; false on timeout. */
    public boolean join(Duration timeout) throws InterruptedException {
        thread.join(Math.max(1, timeout.toMillis()));
        return !thread.isAlive();
    }

    public boolean isRunning() {
        return thread.isAlive();
    }

    private void run() {
        String id = spec.getSessionId();
        String file = spec.getScriptName().isEmpty() ? "<session " + id + ">" : spec.getScriptName();
        Source source = new Source(file, spec.getScriptSource());
        try {
            Compilation c = Frontend.check(source);
            if (!c.succeeded()) {
                failCompile(c.errors());
                return;
            }
            OutputLines lines = new OutputLines();
            CompiledScript[] script = new CompiledScript[1];
            SessionGuard guard = new SessionGuard(policy, () -> script[0].mapEntries(), System::nanoTime);
            PrintStream out = new PrintStream(guard.guard(lines.stream()), true, StandardCharsets.UTF_8);
            CompiledScript compiled;
            try {
                compiled = ScriptCompiler.compile(c.script().orElseThrow(), ProbeResolver.forTarget(target), out,
                        spec.getScriptArgsList());
            } catch (CompileException e) {
                failCompile(e.diagnostics());
                return;
            }
            script[0] = compiled;
            Optional<String> denied = policy.check(compiled.plan().sites(), Binaries.system());
            if (denied.isPresent()) {
                log.warn("session {} refused: {}", id, denied.get());
                status(SessionState.SESSION_STATE_FAILED, denied.get());
                return;
            }
            // Run-time errors ("ERROR: division by 0 near probe ...") go out with the output, as stap prints them.
            Session session = new Session(guard.isNeeded() ? guard.guard(compiled.plan()) : compiled.plan(),
                    new PrintStream(out, true, StandardCharsets.UTF_8), 0);
            compiled.bind(session);
            Exporter exporter = new Exporter(hostId, id, compiled.export(), lines, batch -> {
                sequences.save(id, batch.getSequence());
                sink.accept(batch);
            }, () -> System.currentTimeMillis() * 1_000_000L, () -> lost(session));
            exporter.continueAfter(sequences.last(id));
            long interval = spec.getExportIntervalNanos();
            exporter.attach(session, interval > 0 ? Duration.ofNanos(interval) : DEFAULT_INTERVAL);
            status(SessionState.SESSION_STATE_RUNNING, "");
            Duration limit = spec.getDurationNanos() > 0 ? Duration.ofNanos(spec.getDurationNanos()) : null;
            int errors = session.run(target, limit, () -> stopReason != null || guard.stopReason().isPresent());
            exporter.finish();
            if (guard.droppedByUser() > 0) {
                log.info("session {}: {} events of users the policy does not allow were dropped", id,
                        guard.droppedByUser());
            }
            String why = guard.stopReason().orElse(stopReason != null ? stopReason
                    : errors > 0 ? errors + " run-time errors" : "ended");
            status(SessionState.SESSION_STATE_STOPPED, why);
        } catch (ProbeException | TargetException | MissingFeatureException e) {
            status(SessionState.SESSION_STATE_FAILED, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status(SessionState.SESSION_STATE_FAILED, "interrupted");
        } catch (RuntimeException e) {
            log.error("session {} failed", id, e);
            status(SessionState.SESSION_STATE_FAILED, "internal error: " + e);
        }
    }

    private static long lost(Session s) {
        try {
            return s.lost();
        } catch (ProbeException e) {
            return 0;
        }
    }

    private void failCompile(List<Diagnostic> diagnostics) {
        CompileErrors.Builder b = CompileErrors.newBuilder().setSessionId(spec.getSessionId()).setHostId(hostId);
        for (Diagnostic d : diagnostics) {
            if (d.isError()) {
                b.addErrors(CompileError.newBuilder().setFile(d.location().file()).setLine(d.location().line())
                        .setColumn(d.location().column()).setMessage(d.message())
                        .setHint(d.hint() == null ? "" : d.hint()));
            }
        }
        listener.compileErrors(b.build());
        status(SessionState.SESSION_STATE_FAILED, "compile error: " + (b.getErrorsCount() == 0 ? ""
                : b.getErrors(0).getFile() + ":" + b.getErrors(0).getLine() + ":" + b.getErrors(0).getColumn() + ": "
                + b.getErrors(0).getMessage()));
    }

    private void status(SessionState state, String reason) {
        listener.status(SessionStatus.newBuilder().setSessionId(spec.getSessionId()).setHostId(hostId)
                .setState(state).setReason(reason).setTimeUnixNanos(System.currentTimeMillis() * 1_000_000L)
                .build());
    }
}
