package org.fleettap.collector.control;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.fleettap.proto.v1.AgentEvent;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.ControlCommand;
import org.fleettap.proto.v1.ControlHello;
import org.fleettap.proto.v1.HeartbeatRequest;
import org.fleettap.proto.v1.HeartbeatResponse;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.RegisterResponse;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.fleettap.proto.v1.StartSessionRequest;
import org.fleettap.proto.v1.StartSessionResponse;
import org.fleettap.proto.v1.StopSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's control plane: which agents are registered and connected, which sessions exist, and pushing each
 * active session to the connected agents its selector matches. {@link AgentServiceImpl} and
 * {@link SessionServiceImpl} are its gRPC faces; the registries keep what outlives the process.
 *
 * <p>Rules: StartSession pushes the session to every connected matching host; a host that says hello gets every
 * active session that matches it, that it does not report running and that has not already stopped or failed
 * there (so an agent that restarts picks its sessions up again, and one that merely reconnects does not run them
 * twice); a host reporting a session the collector has stopped, ended or never had is told to stop it. A session
 * with a duration is pushed to late hosts with what remains of it. A session ends when every host it was pushed to
 * has reported it stopped or failed (after StopSession, hosts not connected are not waited for: they are told to
 * stop when they come back).
 *
 * <p>Threading: gRPC calls this from many threads; all state changes happen under one private lock, and commands
 * are queued to each stream under it, so every stream sees them in the order the changes happened.
 */
public final class ControlPlane {
    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);
    static final int MAX_HOST_ID_BYTES = 253;
    static final int MAX_LABELS = 64;
    static final int MAX_LABEL_BYTES = 256;
    static final String STOP_REASON = "stopped by request";

    private final ControlConfig config;
    private final AgentRegistry agents;
    private final SessionRegistry sessions;
    private final Clock clock;
    private final SessionIds ids;
    private final Object lock = new Object();
    private final Map<String, AgentConnection> connections = new HashMap<>(); // guarded by lock
    /** When each host's last control stream ended, since this collector started. Guarded by lock. */
    private final Map<String, Long> disconnectedAt = new HashMap<>();
    /** A host not heard from since before this collector started counts from its start. */
    private final long startedNanos;

    public ControlPlane(ControlConfig config, AgentRegistry agents, SessionRegistry sessions, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.agents = Objects.requireNonNull(agents, "agents");
        this.sessions = Objects.requireNonNull(sessions, "sessions");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ids = new SessionIds(clock, new SecureRandom());
        this.startedNanos = nowNanos();
    }

    public ControlPlane(ControlConfig config, AgentRegistry agents, SessionRegistry sessions) {
        this(config, agents, sessions, Clock.systemUTC());
    }

    public ControlConfig config() {
        return config;
    }

    public AgentRegistry agents() {
        return agents;
    }

    public SessionRegistry sessions() {
        return sessions;
    }

    /** Whether {@code hostId} has a control stream open to this collector now. */
    public boolean isConnected(String hostId) {
        synchronized (lock) {
            return connections.containsKey(hostId);
        }
    }

    /** The hosts with a control stream open to this collector now, in host id order. */
    public Set<String> connectedHosts() {
        synchronized (lock) {
            return new TreeSet<>(connections.keySet());
        }
    }

    // ---- agents

    RegisterResponse register(RegisterRequest r) {
        validateHostId(r.getHostId());
        if (r.getLabelsCount() > MAX_LABELS) {
            throw invalid("host " + r.getHostId() + " has " + r.getLabelsCount() + " labels, more than the limit of "
                    + MAX_LABELS);
        }
        for (Map.Entry<String, String> l : r.getLabelsMap().entrySet()) {
            if (l.getKey().isEmpty()) {
                throw invalid("host " + r.getHostId() + " has a label with an empty key");
            }
            if (utf8(l.getKey()) > MAX_LABEL_BYTES || utf8(l.getValue()) > MAX_LABEL_BYTES) {
                throw invalid("host " + r.getHostId() + ": label " + abbreviate(l.getKey())
                        + " is longer than the limit of " + MAX_LABEL_BYTES + " bytes for a key or value");
            }
        }
        agents.register(r, nowNanos());
        log.info("host {} registered (labels {}, kernel {}, agent {})", r.getHostId(), r.getLabelsMap(),
                r.getKernelVersion(), r.getAgentVersion());
        return RegisterResponse.newBuilder().setCollectorVersion(config.collectorVersion())
                .setHeartbeatIntervalNanos(config.heartbeatInterval().toNanos())
                .setMaxUnackedBatches(config.maxUnackedBatches()).setMaxBatchBytes(config.maxBatchBytes()).build();
    }

    HeartbeatResponse heartbeat(HeartbeatRequest r) {
        validateHostId(r.getHostId());
        boolean known = agents.heartbeat(r.getHostId(), nowNanos(), r.getSpool());
        if (!known) {
            log.info("heartbeat from unregistered host {}: asking it to register again", r.getHostId());
        }
        return HeartbeatResponse.newBuilder().setRegisterAgain(!known).build();
    }

    /** A new control stream; call from the service method, before it returns. */
    AgentConnection open(ServerCallStreamObserver<ControlCommand> out) {
        return new AgentConnection(out, config.maxQueuedCommands());
    }

    /**
     * One message from an agent's control stream.
     *
     * @throws StatusRuntimeException when the agent breaks the protocol; the caller closes the stream with it
     */
    void event(AgentConnection c, AgentEvent e) {
        synchronized (lock) {
            switch (e.getEventCase()) {
                case HELLO -> hello(c, e.getHello());
                case STATUS -> {
                    requireHello(c, "status");
                    status(c, e.getStatus());
                }
                case COMPILE_ERRORS -> {
                    requireHello(c, "compile_errors");
                    compileErrors(c, e.getCompileErrors());
                }
                // A newer agent's event this collector does not know (proto/README.md: ignore it).
                case EVENT_NOT_SET -> log.debug("control stream of host {}: ignoring an event of an unknown kind",
                        c.hostId());
            }
        }
    }

    /**
     * The control stream ended: {@code status} is what to end the collector's side with (OK after the agent
     * completed its side, the error after a protocol violation), or null when the stream failed or was cancelled.
     */
    void closed(AgentConnection c, Status status) {
        synchronized (lock) {
            String host = c.hostId();
            if (!host.isEmpty() && connections.get(host) == c) {
                connections.remove(host);
                disconnectedAt.put(host, nowNanos());
                log.info("host {} disconnected{}", host, status == null || status.isOk() ? ""
                        : ": " + status.getCode() + " " + status.getDescription());
                // A stopped session waits only for connected hosts.
                for (SessionRecord s : sessions.sessions(false)) {
                    if (s.isStopped() && s.pushedHosts().contains(host)) {
                        endIfDone(s);
                    }
                }
            }
        }
        if (status == null) {
            c.abandon();
        } else {
            c.close(status);
        }
    }

    private void hello(AgentConnection c, ControlHello hello) {
        if (!c.hostId().isEmpty()) {
            throw invalid("second ControlHello on the control stream of host " + c.hostId());
        }
        String hostId = hello.getHostId();
        validateHostId(hostId);
        HostRecord host = agents.host(hostId).orElseThrow(() -> Status.FAILED_PRECONDITION
                .withDescription("host " + hostId + " is not registered: call Register before opening the control "
                        + "stream")
                .asRuntimeException());
        c.bind(hostId);
        AgentConnection old = connections.put(hostId, c);
        if (old != null) {
            old.close(Status.ABORTED.withDescription("replaced by a newer control stream of host " + hostId));
        }
        disconnectedAt.remove(hostId);
        Set<String> running = new TreeSet<>(hello.getRunningSessionIdsList());
        log.info("host {} connected, running {}", hostId, running);
        long now = nowNanos();
        for (String id : running) {
            Optional<SessionRecord> s = sessions.session(id);
            if (s.isEmpty()) {
                push(c, stop(id, "unknown session"));
            } else if (s.get().isStopped() || s.get().isEnded()) {
                push(c, stop(id, s.get().isStopped() ? s.get().stopReason() : "session ended"));
            } else {
                if (!s.get().pushedHosts().contains(hostId)) {
                    sessions.pushed(id, hostId);
                }
                if (s.get().isLostOn(hostId)) {
                    sessions.status(SessionStatus.newBuilder().setSessionId(id).setHostId(hostId)
                            .setState(SessionState.SESSION_STATE_RUNNING).setReason("back after it was lost")
                            .setTimeUnixNanos(now).build());
                    log.info("session {}: host {} is back", id, hostId);
                }
            }
        }
        for (SessionRecord s : sessions.sessions(false)) {
            // A lost host that comes back without the session (its agent restarted) picks it up again.
            if (s.isStopped() || running.contains(s.id()) || s.isDoneOn(hostId) && !s.isLostOn(hostId)
                    || !Selectors.matches(s.spec().getTarget(), hostId, host.labels())) {
                continue;
            }
            Optional<SessionSpec> spec = remaining(s.spec(), now);
            if (spec.isPresent() && push(c, ControlCommand.newBuilder().setStartSession(spec.get()).build())) {
                sessions.pushed(s.id(), hostId);
            }
        }
    }

    private void status(AgentConnection c, SessionStatus status) {
        if (!status.getHostId().equals(c.hostId())) {
            log.warn("control stream of host {}: ignoring a status of session {} for host {}", c.hostId(),
                    status.getSessionId(), status.getHostId());
            return;
        }
        Optional<SessionRecord> s = sessions.session(status.getSessionId());
        if (s.isEmpty()) {
            log.warn("host {} reports {} for unknown session {}", c.hostId(), status.getState(),
                    status.getSessionId());
            return;
        }
        log.info("session {} on host {}: {}{}", status.getSessionId(), c.hostId(), status.getState(),
                status.getReason().isEmpty() ? "" : " (" + status.getReason() + ")");
        sessions.status(status);
        if (!s.get().pushedHosts().contains(c.hostId())) {
            sessions.pushed(status.getSessionId(), c.hostId());
        }
        endIfDone(sessions.session(status.getSessionId()).orElseThrow());
    }

    private void compileErrors(AgentConnection c, CompileErrors errors) {
        if (!errors.getHostId().equals(c.hostId())) {
            log.warn("control stream of host {}: ignoring compile errors of session {} for host {}", c.hostId(),
                    errors.getSessionId(), errors.getHostId());
            return;
        }
        if (sessions.session(errors.getSessionId()).isEmpty()) {
            log.warn("host {} reports compile errors for unknown session {}", c.hostId(), errors.getSessionId());
            return;
        }
        log.info("session {} on host {}: {} compile errors", errors.getSessionId(), c.hostId(),
                errors.getErrorsCount());
        sessions.compileErrors(errors);
    }

    // ---- sessions

    /** Creates a session that {@code startedBy} (a user name) started and pushes it to the hosts it selects. */
    StartSessionResponse start(StartSessionRequest r, String startedBy) {
        if (r.getScriptSource().isBlank()) {
            throw invalid("script_source is empty");
        }
        int bytes = utf8(r.getScriptSource());
        if (bytes > config.maxScriptBytes()) {
            throw invalid("script_source is " + bytes + " bytes, more than the limit of " + config.maxScriptBytes());
        }
        if (!r.hasTarget()) {
            throw invalid("target is missing: a session needs a selector (an empty one selects every host)");
        }
        if (r.getDurationNanos() < 0 || r.getExportIntervalNanos() < 0) {
            throw invalid("duration_nanos and export_interval_nanos must not be negative: " + r.getDurationNanos()
                    + ", " + r.getExportIntervalNanos());
        }
        synchronized (lock) {
            String id = ids.next();
            while (sessions.session(id).isPresent()) {
                id = ids.next();
            }
            SessionSpec spec = SessionSpec.newBuilder().setSessionId(id).setScriptName(r.getScriptName())
                    .setScriptSource(r.getScriptSource()).addAllScriptArgs(r.getScriptArgsList())
                    .setTarget(r.getTarget()).setLimits(r.getLimits()).setDurationNanos(r.getDurationNanos())
                    .setExportIntervalNanos(r.getExportIntervalNanos()).setCreatedUnixNanos(nowNanos()).build();
            sessions.create(spec, startedBy);
            ControlCommand start = ControlCommand.newBuilder().setStartSession(spec).build();
            List<String> matched = new ArrayList<>();
            int pushed = 0;
            for (HostRecord h : agents.hosts()) {
                if (Selectors.matches(spec.getTarget(), h.hostId(), h.labels())) {
                    matched.add(h.hostId());
                    AgentConnection c = connections.get(h.hostId());
                    if (c != null && push(c, start)) {
                        sessions.pushed(id, h.hostId());
                        pushed++;
                    }
                }
            }
            log.info("session {} ({}) started: {} registered hosts match, pushed to the {} connected", id,
                    r.getScriptName().isEmpty() ? "unnamed script" : r.getScriptName(), matched.size(), pushed);
            return StartSessionResponse.newBuilder().setSessionId(id).addAllHostIds(matched).build();
        }
    }

    void stop(String sessionId) {
        if (sessionId.isEmpty()) {
            throw invalid("session_id is empty");
        }
        synchronized (lock) {
            SessionRecord s = sessions.session(sessionId).orElseThrow(() -> Status.NOT_FOUND
                    .withDescription("no session " + sessionId).asRuntimeException());
            if (s.isStopped() || s.isEnded()) {
                return;
            }
            sessions.stopped(sessionId, nowNanos(), STOP_REASON);
            for (String host : s.pushedHosts()) {
                AgentConnection c = connections.get(host);
                if (c != null && !s.isDoneOn(host)) {
                    push(c, stop(sessionId, STOP_REASON));
                }
            }
            log.info("session {} stopped", sessionId);
            endIfDone(sessions.session(sessionId).orElseThrow());
        }
    }

    /**
     * Marks as lost, in every session that has not ended, each host it was pushed to that has no control stream and
     * has not been heard from for {@link ControlConfig#lostAfter()}; a session whose other hosts are done then
     * ends. The collector calls this every second.
     */
    public void sweep() {
        synchronized (lock) {
            long now = nowNanos();
            long bound = config.lostAfter().toNanos();
            for (SessionRecord s : sessions.sessions(false)) {
                if (s.isEnded()) {
                    continue;
                }
                boolean changed = false;
                for (String host : s.pushedHosts()) {
                    if (connections.containsKey(host) || s.isDoneOn(host)) {
                        continue;
                    }
                    long last = Math.max(startedNanos, Math.max(disconnectedAt.getOrDefault(host, 0L),
                            agents.host(host).map(HostRecord::lastContactUnixNanos).orElse(0L)));
                    if (now - last < bound) {
                        continue;
                    }
                    String why = "no contact for " + Duration.ofNanos(now - last).toSeconds() + " s";
                    sessions.status(SessionStatus.newBuilder().setSessionId(s.id()).setHostId(host)
                            .setState(SessionState.SESSION_STATE_LOST).setReason(why).setTimeUnixNanos(now).build());
                    log.warn("session {}: host {} lost ({}); the session goes on without it", s.id(), host, why);
                    changed = true;
                }
                if (changed) {
                    endIfDone(sessions.session(s.id()).orElseThrow());
                }
            }
        }
    }

    /**
     * Notes the final batches among {@code applied} (each the last a host sends of a session): the session's figures
     * from that host are complete. Batches of sessions this collector does not know are left alone.
     */
    public void applied(List<Batch> applied) {
        synchronized (lock) {
            for (Batch b : applied) {
                if (b.getFinalBatch() && sessions.session(b.getSessionId()).isPresent()) {
                    sessions.complete(b.getSessionId(), b.getHostId());
                }
            }
        }
    }

    // ---- helpers (under lock)

    /** Marks {@code s} ended when no host it was pushed to is still to report its end. */
    private void endIfDone(SessionRecord s) {
        if (s.isEnded() || !s.isStopped() && s.pushedHosts().isEmpty()) {
            return;
        }
        boolean allFailed = true;
        for (String host : s.pushedHosts()) {
            if (!s.isDoneOn(host)) {
                if (!s.isStopped() || connections.containsKey(host)) {
                    return;
                }
                allFailed = false;
            } else if (s.statuses().get(host).getState() != SessionState.SESSION_STATE_FAILED) {
                allFailed = false;
            }
        }
        String reason = s.isStopped() ? s.stopReason()
                : allFailed ? "failed on every host" : "ended on every host";
        sessions.ended(s.id(), nowNanos(), reason);
        log.info("session {} ended: {}", s.id(), reason);
    }

    /** Queues {@code command} on {@code c}; a stream whose agent does not read is closed (it resyncs on hello). */
    private boolean push(AgentConnection c, ControlCommand command) {
        if (c.send(command)) {
            return true;
        }
        log.warn("host {} does not read its control stream ({} commands queued): closing it", c.hostId(),
                config.maxQueuedCommands());
        connections.remove(c.hostId(), c);
        c.close(Status.RESOURCE_EXHAUSTED.withDescription("more than " + config.maxQueuedCommands()
                + " control commands queued for host " + c.hostId()));
        return false;
    }

    /** The spec to push now: what remains of its duration, or empty when that has passed. */
    private static Optional<SessionSpec> remaining(SessionSpec spec, long nowNanos) {
        if (spec.getDurationNanos() == 0) {
            return Optional.of(spec);
        }
        long left = spec.getCreatedUnixNanos() + spec.getDurationNanos() - nowNanos;
        if (left <= 0) {
            return Optional.empty();
        }
        return Optional.of(left >= spec.getDurationNanos() ? spec : spec.toBuilder().setDurationNanos(left).build());
    }

    private static ControlCommand stop(String sessionId, String reason) {
        return ControlCommand.newBuilder()
                .setStopSession(StopSession.newBuilder().setSessionId(sessionId).setReason(reason)).build();
    }

    private static void requireHello(AgentConnection c, String what) {
        if (c.hostId().isEmpty()) {
            throw Status.FAILED_PRECONDITION.withDescription("control stream: " + what
                    + " before ControlHello (the first message must be a ControlHello)").asRuntimeException();
        }
    }

    private static void validateHostId(String hostId) {
        if (hostId.isEmpty()) {
            throw invalid("host_id is empty");
        }
        if (utf8(hostId) > MAX_HOST_ID_BYTES) {
            throw invalid("host_id " + abbreviate(hostId) + " is longer than the limit of " + MAX_HOST_ID_BYTES
                    + " bytes");
        }
    }

    private long nowNanos() {
        Instant t = clock.instant();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? "'" + s + "'" : "'" + s.substring(0, 40) + "...'";
    }

    private static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }
}
