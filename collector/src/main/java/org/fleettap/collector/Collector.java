package org.fleettap.collector;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.fleettap.collector.admin.AdminServiceImpl;
import org.fleettap.collector.auth.AccessControl;
import org.fleettap.collector.auth.AuditLog;
import org.fleettap.collector.auth.Refusals;
import org.fleettap.collector.control.AgentServiceImpl;
import org.fleettap.collector.control.ControlPlane;
import org.fleettap.collector.control.SessionServiceImpl;
import org.fleettap.collector.control.StoreAgentRegistry;
import org.fleettap.collector.control.StoreSessionRegistry;
import org.fleettap.collector.ingest.AppliedFeed;
import org.fleettap.proto.v1.Batch;
import org.fleettap.collector.ingest.IngestServiceImpl;
import org.fleettap.collector.ingest.IngestStats;
import org.fleettap.collector.kafka.KafkaIngest;
import org.fleettap.collector.kafka.KafkaIngestStats;
import org.fleettap.collector.query.QueryServiceImpl;
import org.fleettap.collector.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector process's parts, put together: the {@link Store} in the data directory, the {@link ControlPlane}
 * with registries kept in that store, and one gRPC server with AgentService, SessionService, IngestService and
 * QueryService and AdminService behind one {@link AccessControl}, plus the Kafka consumer when configured and a
 * periodic retention compaction.
 *
 * <p>{@link #start} opens and starts everything (or, when a part fails, closes what it started and throws);
 * {@link #close} stops intake (no new calls, no more batches asked for, Kafka polling stopped), applies and
 * acknowledges what is queued, ends the streams still open and closes the store. It is idempotent.
 */
public final class Collector implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Collector.class);
    private static final long SHUTDOWN_GRACE_SECONDS = 5;

    private final CollectorConfig config;
    private final Object lock = new Object();
    // Guarded by lock.
    private boolean started;
    private boolean closed;
    private Store store;
    private ControlPlane plane;
    private AppliedFeed feed;
    private IngestServiceImpl ingest;
    private QueryServiceImpl query;
    private volatile KafkaIngest kafka; // also read by AdminService calls
    private Server server;
    private Refusals refusals;
    private AuditLog audit;
    private ScheduledExecutorService maintenance;

    public Collector(CollectorConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public CollectorConfig config() {
        return config;
    }

    /**
     * Opens the store and starts serving.
     *
     * @throws IOException when the server cannot listen ({@code listening on HOST:PORT: ...})
     * @throws org.fleettap.collector.store.StoreException when the store cannot be opened
     */
    public Collector start() throws IOException {
        synchronized (lock) {
            if (started) {
                throw new IllegalStateException("collector started already");
            }
            if (closed) {
                throw new IllegalStateException("collector is closed");
            }
            started = true;
            try {
                startParts();
            } catch (IOException | RuntimeException e) {
                closeParts();
                closed = true;
                throw e;
            }
        }
        log.info("collector listening on {}:{} with its store in {}{}", config.listenHost(), port(), config.dataDir(),
                config.kafka().map(k -> ", reading Kafka topic " + k.topic() + " at " + k.bootstrapServers())
                        .orElse(""));
        return this;
    }

    private void startParts() throws IOException {
        store = Store.open(config.dataDir(), config.store());
        plane = new ControlPlane(config.control(), new StoreAgentRegistry(store), new StoreSessionRegistry(store),
                config.store().clock());
        feed = new AppliedFeed();
        maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fleettap-maintenance");
            t.setDaemon(true);
            return t;
        });
        // Final batches mark their hosts complete in the session's record: off the writer's thread.
        feed.subscribe(batches -> {
            List<Batch> last = batches.stream().filter(Batch::getFinalBatch).toList();
            if (!last.isEmpty()) {
                try {
                    maintenance.execute(() -> completed(last));
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    log.debug("closing: final batches of {} hosts not noted", last.size());
                }
            }
        });
        ingest = new IngestServiceImpl(store, config.ingest(), feed);
        query = new QueryServiceImpl(store, plane, feed, config.query(), config.store().clock());
        refusals = new Refusals();
        audit = new AuditLog(store, config.store().clock(), config.access().isInsecure());
        ingest.start();
        server = bind();
        if (config.kafka().isPresent()) {
            kafka = KafkaIngest.start(config.kafka().get(), store, feed);
        }
        long every = config.compactionInterval().toMillis();
        maintenance.scheduleWithFixedDelay(this::compact, every, every, TimeUnit.MILLISECONDS);
        maintenance.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
    }

    private void completed(List<Batch> last) {
        try {
            plane.applied(last);
        } catch (RuntimeException e) {
            log.error("noting the final batches of {} hosts failed", last.size(), e);
        }
    }

    private void sweep() {
        try {
            plane.sweep();
        } catch (RuntimeException e) {
            log.error("looking for lost hosts failed", e);
        }
    }

    private Server bind() throws IOException {
        InetSocketAddress address = new InetSocketAddress(config.listenHost(), config.listenPort());
        AccessControl access = new AccessControl(config.access(), refusals, audit);
        Server s = NettyServerBuilder.forAddress(address, config.credentials())
                .maxInboundMessageSize(IngestServiceImpl.MAX_MESSAGE_BYTES)
                .addService(ServerInterceptors.intercept(new AgentServiceImpl(plane), access))
                .addService(ServerInterceptors.intercept(new SessionServiceImpl(plane, Optional.of(audit)), access))
                .addService(ServerInterceptors.intercept(ingest, access))
                .addService(ServerInterceptors.intercept(query, access))
                .addService(ServerInterceptors.intercept(new AdminServiceImpl(audit, ingest::stats, this::kafkaCounts,
                        refusals), access))
                .build();
        try {
            return s.start();
        } catch (IOException e) {
            throw new IOException("listening on " + config.listenHost() + ":" + config.listenPort() + ": "
                    + e.getMessage(), e);
        }
    }

    private void compact() {
        try {
            int ranges = store.compactExpired();
            log.debug("retention compaction deleted {} ranges", ranges);
        } catch (RuntimeException e) {
            log.error("retention compaction of the store in {} failed", config.dataDir(), e);
        }
    }

    /** The port the server listens on (the one picked, for port 0). */
    public int port() {
        synchronized (lock) {
            if (server == null) {
                throw new IllegalStateException("collector not started");
            }
            return server.getPort();
        }
    }

    public Store store() {
        synchronized (lock) {
            requireStarted();
            return store;
        }
    }

    public ControlPlane controlPlane() {
        synchronized (lock) {
            requireStarted();
            return plane;
        }
    }

    public IngestStats ingestStats() {
        synchronized (lock) {
            requireStarted();
            return ingest.stats();
        }
    }

    /** Live query streams (FollowOutput, FollowAggregates) open now. */
    public int liveQueries() {
        synchronized (lock) {
            requireStarted();
            return query.followers();
        }
    }

    /** What the Kafka consumer did; all zero without Kafka. */
    public KafkaIngestStats kafkaStats() {
        synchronized (lock) {
            requireStarted();
            return kafkaCounts();
        }
    }

    private KafkaIngestStats kafkaCounts() {
        KafkaIngest k = kafka;
        return k == null ? new KafkaIngestStats(0, 0, 0, 0, 0, 0) : k.stats();
    }

    /** What the access checks refused so far, by service and reason. */
    public Refusals refusals() {
        synchronized (lock) {
            requireStarted();
            return refusals;
        }
    }

    private void requireStarted() {
        if (!started || store == null) {
            throw new IllegalStateException("collector not started");
        }
    }

    /** Stops intake, drains the ingest queue, ends every stream and closes the store. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (started) {
                closeParts();
                log.info("collector on {}:{} stopped", config.listenHost(), config.listenPort());
            }
        }
    }

    private void closeParts() {
        if (server != null) {
            server.shutdown(); // no new calls
        }
        if (maintenance != null) {
            maintenance.shutdownNow();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (ingest != null) {
            ingest.close(); // applies and acknowledges what is queued, then ends the ingest streams
        }
        if (query != null) {
            query.close();
        }
        if (server != null) {
            server.shutdownNow(); // the control streams
            try {
                if (!server.awaitTermination(SHUTDOWN_GRACE_SECONDS, TimeUnit.SECONDS)) {
                    log.warn("gRPC server did not terminate within {} s", SHUTDOWN_GRACE_SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (maintenance != null) {
            try {
                maintenance.awaitTermination(SHUTDOWN_GRACE_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (store != null) {
            store.close();
        }
    }
}
