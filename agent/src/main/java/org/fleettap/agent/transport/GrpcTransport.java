package org.fleettap.agent.transport;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.Random;
import org.fleettap.proto.v1.Batch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends batches to the collector's {@code IngestService.Ingest} over one bidirectional stream.
 *
 * <ul>
 *   <li>Every batch is appended to the {@link Spool} first and released when the collector
 *       acknowledges it ({@code APPLIED} or {@code DUPLICATE}); a {@code REJECTED} batch is logged
 *       with the collector's reason, counted and released (it will never apply).
 *   <li>At most {@link TransportSettings#maxUnackedBatches()} batches are unacknowledged at a time,
 *       and gRPC's own flow control (the stream's readiness) is honoured.
 *   <li>When the stream breaks, the collector cannot be reached, or the oldest batch in flight goes
 *       unacknowledged for {@link TransportSettings#ackTimeout()}, the stream is given up, the spool
 *       rewound, and a new stream opened after an exponential backoff with jitter; it resends, in
 *       order, everything not acknowledged before any newer batch.
 * </ul>
 *
 * The transport owns the spool it is given and closes it when it closes.
 */
public final class GrpcTransport implements BatchSink {
    private static final Logger log = LoggerFactory.getLogger(GrpcTransport.class);
    /** gRPC's default maximum message size, which the collector enforces; larger batches are never sent. */
    public static final int MAX_MESSAGE_BYTES = 4 << 20;
    static final String THREAD_NAME = "fleettap-grpc-transport";

    private final TransportLoop loop;
    private final Counters counters = new Counters();
    private final Spool spool;

    GrpcTransport(ManagedChannel channel, boolean ownsChannel, Spool spool, TransportSettings settings, Random random) {
        this.spool = Objects.requireNonNull(spool, "spool");
        Objects.requireNonNull(settings, "settings");
        this.loop = new TransportLoop(THREAD_NAME, spool, settings.intakeCapacity(), settings.closeTimeout(), counters);
        loop.start(new GrpcLink(channel, ownsChannel, spool, settings, counters, loop::wakeUp, random));
    }

    /** A plaintext transport to {@code target} ({@code host:port}, or any gRPC target). */
    public static GrpcTransport connect(String target, Spool spool, TransportSettings settings) {
        return connect(target, InsecureChannelCredentials.create(), spool, settings);
    }

    /** A transport to {@code target} with the given credentials (TLS with a client certificate, for one). */
    public static GrpcTransport connect(String target, ChannelCredentials credentials, Spool spool,
            TransportSettings settings) {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(credentials, "credentials");
        ManagedChannel channel = Grpc.newChannelBuilder(target, credentials)
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .build();
        return new GrpcTransport(channel, true, spool, settings, new Random());
    }

    @Override
    public void submit(Batch batch) {
        loop.submit(batch);
    }

    @Override
    public void flush(Duration timeout) {
        if (!loop.flush(timeout)) {
            log.info("flush: {} batches not acknowledged within {}; they stay in spool {}", loop.unacknowledged(),
                    timeout, spool.directory());
        }
    }

    @Override
    public TransportStats stats() {
        return counters.snapshot(spool.stats());
    }

    @Override
    public void close() {
        loop.close();
    }

    /** Waits until everything submitted so far is in the spool, without waiting for acknowledgements. */
    boolean awaitSpooled(Duration timeout) {
        return loop.awaitSpooled(timeout);
    }
}
