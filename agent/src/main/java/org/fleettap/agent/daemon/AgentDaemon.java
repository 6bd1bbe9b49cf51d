package org.fleettap.agent.daemon;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.fleettap.agent.feature.KernelFeatures;
import org.fleettap.agent.target.Target;
import org.fleettap.proto.v1.AgentEvent;
import org.fleettap.proto.v1.AgentServiceGrpc;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent daemon's control side: registers this host with the collector, heartbeats, and holds the control
 * stream, over which the collector pushes sessions; each runs in a {@link SessionRunner} that exports its batches
 * to the consumer given here (the transport), and whose status and compile errors go back over the stream.
 *
 * <p>Connecting is a loop in the background: Register, then the control stream with a ControlHello naming the
 * sessions running here; on any failure it starts over after a backoff (exponential, with jitter, capped). Reports
 * made while no stream is up are held (boundedly) and sent after the next hello. A start for a session that runs
 * here already is ignored, so repeated pushes never run a session twice.
 *
 * <p>Stopping the agent ({@link #close()}) stops its sessions (their end probes run and their last batches go to the
 * consumer) but does not report them STOPPED: the session has not ended for the fleet, and the collector pushes it
 * again when this host comes back.
 *
 * <p>Threading: one scheduler thread registers, heartbeats and reconnects; gRPC callbacks and session threads report
 * concurrently. All state is guarded by one private lock, and every write to the stream happens under it.
 */
public final class AgentDaemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentDaemon.class);
    /** The reason sessions are given when the agent stops. */
    public static final String STOPPING = "agent stopping";
    private static final Duration CHANNEL_CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final AgentConfig config;
    private final Consumer<Batch> batches;
    private final SequenceStore sequences;
    private final ManagedChannel channel;
    private final AgentServiceGrpc.AgentServiceStub async;
    private final AgentServiceGrpc.AgentServiceBlockingStub blocking;
    private final ScheduledExecutorService scheduler;

    private final Object lock = new Object();
    // guarded by lock:
    private final Map<String, SessionRunner> sessions = new LinkedHashMap<>();
    private final ArrayDeque<AgentEvent> pending = new ArrayDeque<>();
    private final Backoff backoff;
    private long droppedEvents;
    private ControlStream current;
    private ScheduledFuture<?> heartbeat;
    private boolean started;
    private boolean closed;

    private RegisterRequest registration; // scheduler thread only: built at the first attempt

    /** A daemon that talks to the collector in plaintext. */
    public AgentDaemon(AgentConfig config, Consumer<Batch> batches) {
        this(config, InsecureChannelCredentials.create(), batches);
    }

    /** A daemon whose channel to the collector uses {@code credentials} (TLS with a client certificate, later). */
    public AgentDaemon(AgentConfig config, ChannelCredentials credentials, Consumer<Batch> batches) {
        this.config = Objects.requireNonNull(config, "config");
        this.batches = Objects.requireNonNull(batches, "batches");
        this.sequences = new SequenceStore(config.stateDir().resolve("sequences"));
        this.channel = Grpc.newChannelBuilder(config.collector(), credentials)
                .maxInboundMessageSize(org.fleettap.agent.transport.GrpcTransport.MAX_MESSAGE_BYTES).build();
        this.async = AgentServiceGrpc.newStub(channel);
        this.blocking = AgentServiceGrpc.newBlockingStub(channel);
        this.backoff = new Backoff(config.initialBackoff(), config.maxBackoff(), new SecureRandom());
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "fleettap-agent-control");
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        this.scheduler = s;
    }

    public String hostId() {
        return config.hostId();
    }

    /** Starts connecting to the collector in the background; returns at once. */
    public void start() {
        synchronized (lock) {
            if (closed || started) {
                throw new IllegalStateException(closed ? "agent daemon is closed" : "agent daemon already started");
            }
            started = true;
            scheduler.execute(this::connect);
        }
        log.info("agent {} starting: collector {}, labels {}, {}", config.hostId(), config.collector(), config.labels(),
                config.policy().describe());
    }

    /** The sessions running on this host now (started and not yet reported ended). */
    public Set<String> runningSessionIds() {
        synchronized (lock) {
            return new TreeSet<>(sessions.keySet());
        }
    }

    /** Whether a control stream is up and has said hello. */
    public boolean isConnected() {
        synchronized (lock) {
            return current != null && current.helloSent;
        }
    }

    /**
     * Stops every session (reason {@value #STOPPING}) and waits for them to end (at most the configured stop
     * timeout), then ends the control stream and closes the channel. Idempotent.
     */
    @Override
    public void close() {
        List<SessionRunner> running;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            running = new ArrayList<>(sessions.values());
            if (heartbeat != null) {
                heartbeat.cancel(false);
            }
        }
        scheduler.shutdownNow();
        for (SessionRunner r : running) {
            r.stop(STOPPING);
        }
        long deadline = System.nanoTime() + config.stopTimeout().toNanos();
        boolean interrupted = false;
        for (SessionRunner r : running) {
            try {
                if (!r.join(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                    log.warn("session {} did not end within {} of the agent stopping", r.sessionId(),
                            config.stopTimeout());
                }
            } catch (InterruptedException e) {
                interrupted = true;
                break;
            }
        }
        synchronized (lock) {
            if (current != null) {
                try {
                    current.requests.onCompleted();
                } catch (RuntimeException e) {
                    log.debug("completing the control stream", e);
                }
                current = null;
            }
        }
        channel.shutdown();
        try {
            if (!interrupted && !channel.awaitTermination(CHANNEL_CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("channel to {} did not close within {}", config.collector(), CHANNEL_CLOSE_TIMEOUT);
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        channel.shutdownNow();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        log.info("agent {} stopped", config.hostId());
    }

    // ---- connecting (scheduler thread)

    private void connect() {
        // This loop's backoff decides when to try again, not the channel's own reconnect backoff (which grows to
        // two minutes and would make the agent slow to notice a collector that is back).
        channel.resetConnectBackoff();
        RegisterResponse r;
        try {
            r = register();
        } catch (StatusRuntimeException e) {
            synchronized (lock) {
                if (!closed) {
                    Duration d = backoff.next();
                    log.warn("registering with the collector at {} failed: {}; retrying in {} ms", config.collector(),
                            describe(e.getStatus()), d.toMillis());
                    schedule(this::connect, d);
                }
            }
            return;
        }
        synchronized (lock) {
            if (closed) {
                return;
            }
            Duration interval = r.getHeartbeatIntervalNanos() > 0 ? Duration.ofNanos(r.getHeartbeatIntervalNanos())
                    : config.heartbeatFallback();
            if (heartbeat != null) {
                heartbeat.cancel(false);
            }
            heartbeat = scheduler.scheduleWithFixedDelay(this::heartbeat, interval.toNanos(), interval.toNanos(),
                    TimeUnit.NANOSECONDS);
            ControlStream s = new ControlStream();
            async.control(s);
            current = s;
            drainLocked();
        }
    }

    private RegisterResponse register() {
        if (registration == null) {
            registration = RegisterRequest.newBuilder().setHostId(config.hostId()).putAllLabels(config.labels())
                    .setKernelVersion(HostFacts.kernelVersion())
                    .setCapabilities(HostFacts.capabilities(KernelFeatures.system()))
                    .setAgentVersion(HostFacts.agentVersion()).setCpus(Runtime.getRuntime().availableProcessors())
                    .build();
        }
        RegisterResponse r = blocking.withDeadlineAfter(config.rpcTimeout().toNanos(), TimeUnit.NANOSECONDS)
                .register(registration);
        log.info("registered with the collector at {} (version {}, heartbeat every {} ms)", config.collector(),
                r.getCollectorVersion(), Duration.ofNanos(r.getHeartbeatIntervalNanos()).toMillis());
        return r;
    }

    private void heartbeat() {
        HeartbeatRequest req = HeartbeatRequest.newBuilder().setHostId(config.hostId())
                .setTimeUnixNanos(System.currentTimeMillis() * 1_000_000L)
                .addAllRunningSessionIds(runningSessionIds()).build();
        try {
            HeartbeatResponse r = blocking.withDeadlineAfter(config.rpcTimeout().toNanos(), TimeUnit.NANOSECONDS)
                    .heartbeat(req);
            if (r.getRegisterAgain()) {
                log.info("the collector at {} does not know this host: registering again", config.collector());
                register();
            }
        } catch (StatusRuntimeException e) {
            if (!isClosed()) {
                log.warn("heartbeat to the collector at {} failed: {}", config.collector(), describe(e.getStatus()));
            }
        }
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** The stream ended: forget it and, unless closing, reconnect after a backoff. */
    private void ended(ControlStream s, Throwable error) {
        synchronized (lock) {
            if (current != s) {
                return;
            }
            current = null;
            if (closed) {
                return;
            }
            if (System.nanoTime() - s.openedNanos >= config.maxBackoff().toNanos()) {
                backoff.reset();
            }
            Duration d = backoff.next();
            log.warn("control stream to the collector at {} ended ({}); reconnecting in {} ms", config.collector(),
                    error == null ? "completed by the collector" : describe(Status.fromThrowable(error)),
                    d.toMillis());
            schedule(this::connect, d);
        }
    }

    private void schedule(Runnable task, Duration delay) {
        if (!scheduler.isShutdown()) {
            scheduler.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    // ---- commands (gRPC threads)

    private void command(ControlCommand c) {
        switch (c.getCommandCase()) {
            case START_SESSION -> startSession(c.getStartSession());
            case STOP_SESSION -> stopSession(c.getStopSession().getSessionId(), c.getStopSession().getReason());
            // A newer collector's command this agent does not know (proto/README.md: ignore it).
            case COMMAND_NOT_SET -> log.debug("ignoring a control command of an unknown kind");
        }
    }

    private void startSession(SessionSpec spec) {
        String id = spec.getSessionId();
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (id.isEmpty()) {
                log.warn("ignoring a pushed session without an id");
                return;
            }
            if (sessions.containsKey(id)) {
                log.debug("session {} runs here already: ignoring the repeated start", id);
                return;
            }
            SessionRunner r = new SessionRunner(spec, config.hostId(), Target.all(), batches, sequences,
                    new Reports(), config.policy());
            sessions.put(id, r);
            r.start();
            log.info("session {} ({}) started", id, spec.getScriptName());
        }
    }

    private void stopSession(String id, String reason) {
        synchronized (lock) {
            SessionRunner r = sessions.get(id);
            if (r == null) {
                log.debug("stop for session {}, which does not run here", id);
                return;
            }
            r.stop(reason.isEmpty() ? "stopped by the collector" : reason);
        }
    }

    // ---- reports (session threads)

    /** A session's status and compile errors, to the control stream. */
    private final class Reports implements SessionRunner.Listener {
        @Override
        public void status(SessionStatus s) {
            synchronized (lock) {
                boolean over = s.getState() == SessionState.SESSION_STATE_STOPPED
                        || s.getState() == SessionState.SESSION_STATE_FAILED;
                if (over) {
                    sessions.remove(s.getSessionId());
                    if (!closed) {
                        log.info("session {} {}{}", s.getSessionId(),
                                s.getState() == SessionState.SESSION_STATE_STOPPED ? "stopped" : "failed",
                                s.getReason().isEmpty() ? "" : ": " + s.getReason());
                    }
                }
                if (closed && s.getState() == SessionState.SESSION_STATE_STOPPED) {
                    log.info("session {} stopped with the agent; the collector pushes it again when it returns",
                            s.getSessionId());
                    return;
                }
                report(AgentEvent.newBuilder().setStatus(s).build());
            }
        }

        @Override
        public void compileErrors(CompileErrors e) {
            synchronized (lock) {
                report(AgentEvent.newBuilder().setCompileErrors(e).build());
            }
        }
    }

    /** Under lock: queues a report and sends what the stream takes. */
    private void report(AgentEvent e) {
        if (pending.size() >= config.maxPendingEvents()) {
            pending.pollFirst();
            droppedEvents++;
            log.warn("no control stream: dropped the oldest held report ({} dropped so far, {} held at most)",
                    droppedEvents, config.maxPendingEvents());
        }
        pending.addLast(e);
        drainLocked();
    }

    /** Under lock: the hello first on a new stream, then held reports, while the stream is ready. */
    private void drainLocked() {
        ControlStream s = current;
        if (s == null) {
            return;
        }
        while (s.requests.isReady()) {
            AgentEvent e = s.helloSent ? pending.peekFirst() : hello();
            if (e == null) {
                return;
            }
            try {
                s.requests.onNext(e);
            } catch (RuntimeException ex) {
                log.debug("writing to the control stream failed; it will end", ex);
                return;
            }
            if (s.helloSent) {
                pending.pollFirst();
            } else {
                s.helloSent = true;
                log.info("connected to the collector at {}, running {}", config.collector(), sessions.keySet());
            }
        }
    }

    private AgentEvent hello() {
        return AgentEvent.newBuilder().setHello(ControlHello.newBuilder().setHostId(config.hostId())
                .addAllRunningSessionIds(sessions.keySet())).build();
    }

    private String describe(Status s) {
        String tls = org.fleettap.security.TlsFailures.describe(s.getCause(), "the collector");
        if (tls != null) {
            return tls;
        }
        return s.getDescription() == null ? s.getCode().toString() : s.getCode() + ": " + s.getDescription();
    }

    /** One control stream: the agent's writing side and the collector's commands. */
    private final class ControlStream implements ClientResponseObserver<AgentEvent, ControlCommand> {
        private final long openedNanos = System.nanoTime();
        private ClientCallStreamObserver<AgentEvent> requests; // set in beforeStart, before the call starts
        private boolean helloSent; // guarded by lock

        @Override
        public void beforeStart(ClientCallStreamObserver<AgentEvent> requestStream) {
            this.requests = requestStream;
            requestStream.setOnReadyHandler(() -> {
                synchronized (lock) {
                    if (current == this) {
                        drainLocked();
                    }
                }
            });
        }

        @Override
        public void onNext(ControlCommand c) {
            command(c);
        }

        @Override
        public void onError(Throwable t) {
            ended(this, t);
        }

        @Override
        public void onCompleted() {
            ended(this, null);
        }
    }
}
