package org.fleettap.agent.transport;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.fleettap.proto.v1.Ack;
import org.fleettap.proto.v1.IngestServiceGrpc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC side of {@link GrpcTransport}: one {@code IngestService.Ingest} stream at a time, fed from
 * the spool within a window of unacknowledged batches; reopened with backoff when it breaks, after
 * rewinding the spool so that everything unacknowledged is resent in order.
 *
 * <p>gRPC's callbacks only queue events and wake the loop; everything else, the stream's request
 * side included, runs on the loop's thread. The event queue is bounded by construction: the stream
 * asks for one acknowledgement per acknowledgement handled ({@code window} at first), and ends once.
 *
 * <p>Batches go to the wire as the spool holds them ({@link SpooledBatch}): the stream is the
 * service's own {@code Ingest} method, called through a descriptor whose request marshaller writes
 * the spooled bytes, which are a serialized {@code Batch}, so the collector's generated service
 * reads them as it reads any batch.
 */
final class GrpcLink implements TransportLoop.Link {
    private static final Logger log = LoggerFactory.getLogger(GrpcLink.class);
    /** While a failure lasts, it is logged as a warning at most this often (and at debug level between). */
    static final long WARNING_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private sealed interface Event permits AckEvent, EndEvent {
        Stream stream();
    }

    private record AckEvent(Stream stream, Ack ack) implements Event {}

    /** The stream ended: {@code cause} is null when the collector completed it. */
    private record EndEvent(Stream stream, Throwable cause) implements Event {}

    private record InFlight(BatchKey key, long sentNanos) {}

    /**
     * {@code IngestService.Ingest} with spooled batches for requests: same name and type, so the
     * same call on the wire; only the agent's side of the marshalling differs.
     */
    static final MethodDescriptor<SpooledBatch, Ack> INGEST = IngestServiceGrpc.getIngestMethod().toBuilder(
            new SpooledMarshaller(), IngestServiceGrpc.getIngestMethod().getResponseMarshaller()).build();

    /** Writes a spooled batch's bytes; the agent never reads a request, so it cannot parse one. */
    private static final class SpooledMarshaller implements MethodDescriptor.Marshaller<SpooledBatch> {
        @Override
        public InputStream stream(SpooledBatch value) {
            return value.stream();
        }

        @Override
        public SpooledBatch parse(InputStream stream) {
            throw new UnsupportedOperationException("the agent does not receive batches");
        }
    }

    private final class Stream implements ClientResponseObserver<SpooledBatch, Ack> {
        ClientCallStreamObserver<SpooledBatch> requests;
        boolean acknowledged;

        @Override
        public void beforeStart(ClientCallStreamObserver<SpooledBatch> requestStream) {
            this.requests = requestStream;
            requestStream.disableAutoRequestWithInitial(window);
            requestStream.setOnReadyHandler(wakeUp);
        }

        @Override
        public void onNext(Ack ack) {
            events.add(new AckEvent(this, ack));
            wakeUp.run();
        }

        @Override
        public void onError(Throwable t) {
            events.add(new EndEvent(this, t));
            wakeUp.run();
        }

        @Override
        public void onCompleted() {
            events.add(new EndEvent(this, null));
            wakeUp.run();
        }
    }

    private final ManagedChannel channel;
    private final boolean ownsChannel;
    private final Spool spool;
    private final Counters counters;
    private final Runnable wakeUp;
    private final int window;
    private final long ackTimeoutNanos;
    private final Duration closeTimeout;
    private final Backoff backoff;
    private final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
    private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    private Stream current;
    private long reconnectNanos;
    private boolean failing;
    private long failuresSinceDelivery;
    private long lastWarningNanos;

    GrpcLink(ManagedChannel channel, boolean ownsChannel, Spool spool, TransportSettings settings, Counters counters,
            Runnable wakeUp, Random random) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.ownsChannel = ownsChannel;
        this.spool = Objects.requireNonNull(spool, "spool");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.wakeUp = Objects.requireNonNull(wakeUp, "wakeUp");
        this.window = settings.maxUnackedBatches();
        this.ackTimeoutNanos = settings.ackTimeout().toNanos();
        this.closeTimeout = settings.closeTimeout();
        this.backoff = new Backoff(settings.backoffInitial(), settings.backoffMax(), random);
        this.reconnectNanos = System.nanoTime();
    }

    @Override
    public long pump(long now) {
        Event e;
        while ((e = events.poll()) != null) {
            if (e.stream() != current) {
                continue; // from a stream given up already
            }
            if (e instanceof AckEvent a) {
                onAck(a.ack(), now);
            } else {
                onEnd(((EndEvent) e).cause(), now);
            }
        }
        if (current != null && !inFlight.isEmpty() && now - inFlight.peekFirst().sentNanos() >= ackTimeoutNanos) {
            giveUp(now, "no acknowledgement of batch " + inFlight.peekFirst().key() + " within "
                    + Duration.ofNanos(ackTimeoutNanos), null);
        }
        if (current == null && now - reconnectNanos >= 0 && spool.hasUnsent()) {
            open();
        }
        if (current != null) {
            send(now);
        }
        long timer = Long.MAX_VALUE;
        if (current == null && spool.hasUnsent()) {
            timer = reconnectNanos;
        }
        if (current != null && !inFlight.isEmpty()) {
            timer = Math.min(timer, inFlight.peekFirst().sentNanos() + ackTimeoutNanos);
        }
        return timer;
    }

    private void open() {
        channel.resetConnectBackoff();
        Stream s = new Stream();
        current = s;
        ClientCalls.asyncBidiStreamingCall(channel.newCall(INGEST, CallOptions.DEFAULT), s);
        log.debug("opened an ingest stream to {}", channel.authority());
    }

    private void send(long now) {
        while (inFlight.size() < window && current.requests.isReady()) {
            SpooledBatch b = spool.next();
            if (b == null) {
                return;
            }
            BatchKey key = b.key();
            int size = b.length();
            if (size > GrpcTransport.MAX_MESSAGE_BYTES) {
                counters.rejected.incrementAndGet();
                log.error("batch {} of {} bytes exceeds the {} byte gRPC message limit; it is not sent", key, size,
                        GrpcTransport.MAX_MESSAGE_BYTES);
                spool.ack(key);
                continue;
            }
            current.requests.onNext(b);
            inFlight.addLast(new InFlight(key, now));
            counters.sent.incrementAndGet();
        }
    }

    private void onAck(Ack ack, long now) {
        current.requests.request(1);
        BatchKey key = BatchKey.of(ack);
        if (!removeInFlight(key)) {
            log.debug("collector acknowledged batch {}, which is not in flight; ignored", key);
            return;
        }
        switch (ack.getStatus()) {
            case ACK_STATUS_APPLIED -> counters.applied.incrementAndGet();
            case ACK_STATUS_DUPLICATE -> counters.duplicates.incrementAndGet();
            case ACK_STATUS_REJECTED -> {
                counters.rejected.incrementAndGet();
                log.error("collector rejected batch {} (it is not resent): {}", key, ack.getError());
            }
            default -> {
                giveUp(now, "collector acknowledged batch " + key + " with unknown status " + ack.getStatusValue(), null);
                return;
            }
        }
        spool.ack(key);
        if (!current.acknowledged) {
            current.acknowledged = true;
            backoff.reset();
            if (failing) {
                log.info("ingest stream to {} is delivering again after {} failures", channel.authority(),
                        failuresSinceDelivery);
                failing = false;
            }
            failuresSinceDelivery = 0;
        }
    }

    private void onEnd(Throwable cause, long now) {
        if (cause == null && inFlight.isEmpty()) {
            log.debug("collector {} ended an idle ingest stream", channel.authority());
            current = null;
            return;
        }
        current = null;
        failed(now, cause == null ? "the collector ended the stream" : describe(Status.fromThrowable(cause)), cause);
    }

    /** One line for the log: "UNAVAILABLE: io exception (Connection reset by peer)"; the stack goes to debug. */
    static String describe(Status status) {
        String tls = org.fleettap.security.TlsFailures.describe(status.getCause(), "the collector");
        if (tls != null) {
            return tls;
        }
        StringBuilder b = new StringBuilder(status.getCode().name());
        if (status.getDescription() != null) {
            b.append(": ").append(status.getDescription());
        }
        Throwable root = status.getCause();
        while (root != null && root.getCause() != null) {
            root = root.getCause();
        }
        if (root != null && root.getMessage() != null) {
            String m = root.getMessage();
            b.append(" (").append(m.substring(m.lastIndexOf(':') + 1).strip()).append(')');
        }
        return b.toString();
    }

    /** Abandons the current stream (cancelling it) and schedules a new one. */
    private void giveUp(long now, String why, Throwable cause) {
        Stream s = current;
        current = null;
        s.requests.cancel(why, cause);
        failed(now, why, cause);
    }

    private void failed(long now, String why, Throwable cause) {
        int resend = inFlight.size();
        inFlight.clear();
        spool.rewind();
        counters.failures.incrementAndGet();
        long delay = backoff.nextDelayNanos();
        reconnectNanos = now + delay;
        failuresSinceDelivery++;
        if (!failing || now - lastWarningNanos >= WARNING_INTERVAL_NANOS) {
            failing = true;
            lastWarningNanos = now;
            log.warn("ingest stream to {} failed ({} failures since it last delivered): {}; resending {} unacknowledged"
                            + " batches from the spool on a new stream in {} ms", channel.authority(),
                    failuresSinceDelivery, why, resend, TimeUnit.NANOSECONDS.toMillis(delay));
            if (cause != null) {
                log.debug("ingest stream to {} failed", channel.authority(), cause);
            }
        } else {
            log.debug("ingest stream to {} failed again: {}; next attempt in {} ms", channel.authority(), why,
                    TimeUnit.NANOSECONDS.toMillis(delay), cause);
        }
    }

    private boolean removeInFlight(BatchKey key) {
        for (Iterator<InFlight> it = inFlight.iterator(); it.hasNext(); ) {
            if (it.next().key().equals(key)) {
                it.remove();
                return true;
            }
        }
        return false;
    }

    @Override
    public void shutdown() {
        if (current != null) {
            if (inFlight.isEmpty()) {
                current.requests.onCompleted();
            } else {
                current.requests.cancel("the agent's transport is closing", null);
            }
            current = null;
        }
        inFlight.clear();
        if (ownsChannel) {
            channel.shutdown();
            try {
                if (!channel.awaitTermination(closeTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    channel.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                channel.shutdownNow();
            }
        }
    }
}
