package org.fleettap.collector.control;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.Objects;
import java.util.Optional;
import org.fleettap.collector.auth.AuditLog;
import org.fleettap.collector.auth.Caller;
import org.fleettap.collector.auth.Principal;
import org.fleettap.collector.auth.Tokens;
import org.fleettap.proto.v1.AuditAction;
import org.fleettap.proto.v1.AuditEntry;
import org.fleettap.proto.v1.SessionServiceGrpc;
import org.fleettap.proto.v1.StartSessionRequest;
import org.fleettap.proto.v1.StartSessionResponse;
import org.fleettap.proto.v1.StopSessionRequest;
import org.fleettap.proto.v1.StopSessionResponse;

/**
 * SessionService: starting and stopping sessions, served by a {@link ControlPlane}. Each session records the user who
 * started it ({@link Caller}), and every start and stop, done or failed, is written to the {@link AuditLog} when there
 * is one (a collector has one in its store; a control plane in memory for tests has none).
 */
public final class SessionServiceImpl extends SessionServiceGrpc.SessionServiceImplBase {
    private final ControlPlane plane;
    private final Optional<AuditLog> audit;

    /** Without an audit log. */
    public SessionServiceImpl(ControlPlane plane) {
        this(plane, Optional.empty());
    }

    public SessionServiceImpl(ControlPlane plane, Optional<AuditLog> audit) {
        this.plane = Objects.requireNonNull(plane, "plane");
        this.audit = Objects.requireNonNull(audit, "audit");
    }

    @Override
    public void startSession(StartSessionRequest request, StreamObserver<StartSessionResponse> out) {
        Principal who = Caller.current().principal();
        Unary.respond("StartSession", out, () -> {
            AuditEntry.Builder e = entry(who, AuditAction.AUDIT_ACTION_START_SESSION,
                    SessionServiceGrpc.getStartSessionMethod().getFullMethodName()).setTarget(request.getTarget())
                    .setScriptName(request.getScriptName()).setScriptSha256(Tokens.sha256(request.getScriptSource()));
            StartSessionResponse r;
            try {
                r = plane.start(request, who.name());
            } catch (RuntimeException ex) {
                record(e.setOutcome("failed: " + describe(ex)));
                throw ex;
            }
            record(e.setSessionId(r.getSessionId()).setOutcome("started"));
            return r;
        });
    }

    @Override
    public void stopSession(StopSessionRequest request, StreamObserver<StopSessionResponse> out) {
        Principal who = Caller.current().principal();
        Unary.respond("StopSession", out, () -> {
            AuditEntry.Builder e = entry(who, AuditAction.AUDIT_ACTION_STOP_SESSION,
                    SessionServiceGrpc.getStopSessionMethod().getFullMethodName())
                    .setSessionId(request.getSessionId());
            plane.sessions().session(request.getSessionId()).ifPresent(s -> e.setTarget(s.spec().getTarget())
                    .setScriptName(s.spec().getScriptName())
                    .setScriptSha256(Tokens.sha256(s.spec().getScriptSource())));
            try {
                plane.stop(request.getSessionId());
            } catch (RuntimeException ex) {
                record(e.setOutcome("failed: " + describe(ex)));
                throw ex;
            }
            record(e.setOutcome("stopped"));
            return StopSessionResponse.getDefaultInstance();
        });
    }

    private static AuditEntry.Builder entry(Principal who, AuditAction action, String method) {
        return AuditEntry.newBuilder().setUser(who.name()).setRole(who.role().map(r -> r.word()).orElse(""))
                .setAction(action).setMethod(method);
    }

    private void record(AuditEntry.Builder e) {
        audit.ifPresent(a -> a.append(e));
    }

    private static String describe(RuntimeException e) {
        if (e instanceof StatusRuntimeException s) {
            return s.getStatus().getCode() + ": " + s.getStatus().getDescription();
        }
        return e.getMessage();
    }
}
