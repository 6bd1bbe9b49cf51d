package org.fleettap.collector.ingest;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.BindableService;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.fleettap.collector.auth.Caller;
import org.fleettap.collector.store.ApplyResult;
import org.fleettap.collector.store.Store;
import org.fleettap.collector.store.WireBatch;
import org.fleettap.proto.v1.Ack;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.IngestServiceGrpc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * IngestService: the agents' batch streams, applied exactly once with group commit.
 *
 * <ul>
 *   <li>Batches of every stream go into one bounded queue; one ingest thread drains up to
 *       {@link IngestSettings#groupBatches()} of them (or {@link IngestSettings#groupBytes()}; at most half of what
 *       the streams may have in flight, see {@link #groupLimit()}) into one
 *       {@link Store#applyAll} (one fsync) and, once it returned, sends each batch's {@link Ack} (APPLIED, DUPLICATE
 *       or REJECTED with a one-line error) on the batch's stream.
 *   <li>Flow control: streams use gRPC's manual inbound flow control. A stream asks for a batch only while it holds
 *       fewer than {@link IngestSettings#streamWindow()} batches unacknowledged and the queue has room (in batches
 *       and bytes); room freed by a write goes to the waiting streams in turn. Every stream may always ask for one
 *       batch (its own place, outside {@link IngestSettings#queueBatches()}), so that idle streams waiting for
 *       their next batch cannot starve busy ones. So agents cannot overrun the collector's memory: it holds at most
 *       {@code queueBatches} plus one batch per open stream.
 *   <li>A batch larger than {@link IngestSettings#maxBatchBytes()} is REJECTED. When a store write fails, the streams
 *       of its batches are closed with UNAVAILABLE, unacknowledged: their agents resend them.
 * </ul>
 *
 * <p>Each stream's writes go through its own lock (a StreamObserver must not be called concurrently); the queue's
 * bookkeeping is under this object's lock, and no stream is called while it is held.
 *
 * <p>Batches are read from their bytes into {@link WireBatch}es by the method's request marshaller, on gRPC's threads
 * as they arrive ({@link #INGEST}: the service's {@code Ingest} method, its wire unchanged): the ingest thread, which
 * every batch passes, then only writes. A message that is not a {@code Batch} (truncated, garbled) is REJECTED with
 * the parser's reason and counted as malformed ({@link IngestStats}); the stream stays open. The counts are logged
 * every {@link #STATS_LOG_INTERVAL} while they change, and when ingest stops.
 *
 * <p>A stream opened with a bound agent certificate ({@link Caller}) may only carry batches of that agent's host: any
 * other batch is REJECTED and counted as forbidden (one string comparison per batch), the stream stays open.
 */
public final class IngestServiceImpl implements BindableService, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IngestServiceImpl.class);
    /** The largest gRPC message the collector accepts (proto/README.md, "Size limits"). */
    public static final int MAX_MESSAGE_BYTES = 4 << 20;
    static final String THREAD_NAME = "fleettap-ingest";
    private static final String SERVICE = IngestServiceGrpc.SERVICE_NAME;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
    static final Duration STATS_LOG_INTERVAL = Duration.ofMinutes(1);

    /** {@code refusal}: why the batch is refused before it reaches the store (its sender may not send it), or null. */
    private record Item(AgentStream stream, WireBatch batch, int bytes, String refusal) {}

    /** {@code IngestService.Ingest} with batches read by {@link WireBatch#decode} instead of the generated parser. */
    static final MethodDescriptor<WireBatch, Ack> INGEST = IngestServiceGrpc.getIngestMethod().toBuilder(
            new WireBatchMarshaller(), IngestServiceGrpc.getIngestMethod().getResponseMarshaller()).build();

    /** Reads a request's bytes into a {@link WireBatch}; the collector never sends batches. */
    private static final class WireBatchMarshaller implements MethodDescriptor.Marshaller<WireBatch> {
        @Override
        public InputStream stream(WireBatch value) {
            throw new UnsupportedOperationException("the collector does not send batches");
        }

        /**
         * Never throws for bad bytes: a message that is not a {@code Batch} becomes a {@link WireBatch#malformed}
         * batch, refused and counted by the ingest thread, so one garbled message costs one REJECTED acknowledgement,
         * not the agent's stream (gRPC would end a stream whose marshaller throws).
         */
        @Override
        public WireBatch parse(InputStream stream) {
            byte[] bytes;
            try (stream) {
                // gRPC's message streams know their length: read them into an array of that size at once.
                if (stream instanceof KnownLength) {
                    bytes = new byte[stream.available()];
                    if (stream.readNBytes(bytes, 0, bytes.length) != bytes.length || stream.read() != -1) {
                        throw new IOException("the message is not as long as its stream said");
                    }
                } else {
                    bytes = stream.readAllBytes();
                }
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription("reading a batch failed").withCause(e).asRuntimeException();
            }
            try {
                return WireBatch.decode(bytes);
            } catch (InvalidProtocolBufferException e) {
                return WireBatch.malformed(bytes.length, oneLine(e.getMessage()));
            }
        }
    }

    /** {@code s} on one line, at most 200 characters. */
    static String oneLine(String s) {
        String line = String.valueOf(s).replaceAll("[\\r\\n\\t]+", " ").strip();
        return line.length() <= 200 ? line : line.substring(0, 200) + "...";
    }

    private final Store store;
    private final IngestSettings settings;
    private final AppliedFeed feed;
    private final BlockingQueue<Item> queue;
    private final Thread thread;
    private final Object lock = new Object();
    // Guarded by lock: free queue places, bytes queued, the streams open and those that want more batches.
    private int available;
    private long queuedBytes;
    private final Set<AgentStream> streams = new HashSet<>();
    private final ArrayDeque<AgentStream> wanting = new ArrayDeque<>();
    private boolean intakeOpen;
    private boolean started;
    private boolean closed;
    private volatile boolean stopping;
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong oversized = new AtomicLong();
    private final AtomicLong invalid = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong forbidden = new AtomicLong();

    public IngestServiceImpl(Store store, IngestSettings settings, AppliedFeed feed) {
        this.store = Objects.requireNonNull(store, "store");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.feed = Objects.requireNonNull(feed, "feed");
        this.queue = new LinkedBlockingQueue<>(); // bounded by the places handed out, see refill
        this.available = settings.queueBatches();
        this.thread = new Thread(this::run, THREAD_NAME);
        thread.setDaemon(true);
    }

    /** Starts the ingest thread; streams opened before are refused. */
    public void start() {
        synchronized (lock) {
            if (started) {
                throw new IllegalStateException("ingest started already");
            }
            started = true;
            intakeOpen = !closed;
        }
        thread.start();
    }

    public IngestStats stats() {
        return new IngestStats(applied.get(), duplicates.get(), malformed.get(), oversized.get(), invalid.get(),
                failed.get(), forbidden.get());
    }

    /** Streams open now. */
    public int openStreams() {
        synchronized (lock) {
            return streams.size();
        }
    }

    @Override
    public ServerServiceDefinition bindService() {
        ServiceDescriptor generated = IngestServiceGrpc.getServiceDescriptor();
        ServiceDescriptor service = ServiceDescriptor.newBuilder(generated.getName())
                .setSchemaDescriptor(generated.getSchemaDescriptor()).addMethod(INGEST).build();
        return ServerServiceDefinition.builder(service)
                .addMethod(INGEST, ServerCalls.asyncBidiStreamingCall(this::ingest)).build();
    }

    /** One agent's {@code Ingest} stream. */
    StreamObserver<WireBatch> ingest(StreamObserver<Ack> responses) {
        ServerCallStreamObserver<Ack> out = (ServerCallStreamObserver<Ack>) responses;
        out.disableAutoRequest();
        AgentStream s = new AgentStream(out, Caller.current());
        out.setOnCancelHandler(s::cancelled);
        synchronized (lock) {
            if (!intakeOpen) {
                s.open = false;
            } else {
                streams.add(s);
                s.wanting = true;
                wanting.addLast(s);
            }
        }
        if (!s.open) {
            s.fail(Status.UNAVAILABLE.withDescription("the collector is not ingesting (starting or shutting down)"));
        } else {
            refill();
        }
        return s;
    }

    /**
     * Stops intake (no stream is asked for more; new streams are refused), applies and acknowledges what is queued,
     * stops the ingest thread and closes the streams still open with UNAVAILABLE. Idempotent.
     */
    @Override
    public void close() {
        boolean wasStarted;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            intakeOpen = false;
            wasStarted = started;
        }
        stopping = true;
        if (wasStarted) {
            try {
                thread.join(CLOSE_TIMEOUT.toMillis());
                if (thread.isAlive()) {
                    log.warn("the ingest thread did not stop within {}; {} batches stay unacknowledged", CLOSE_TIMEOUT,
                            queue.size());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<AgentStream> open;
        synchronized (lock) {
            open = new ArrayList<>(streams);
        }
        for (AgentStream s : open) {
            s.fail(Status.UNAVAILABLE.withDescription("the collector is shutting down"));
        }
        log.info("ingest stopped: {}", stats());
    }

    // ---- the ingest thread

    private void run() {
        List<Item> group = new ArrayList<>();
        IngestStats logged = stats();
        long nextLog = System.nanoTime() + STATS_LOG_INTERVAL.toNanos();
        while (true) {
            if (System.nanoTime() - nextLog >= 0) {
                nextLog = System.nanoTime() + STATS_LOG_INTERVAL.toNanos();
                IngestStats now = stats();
                if (!now.equals(logged)) {
                    log.info("ingest: {}", now);
                    logged = now;
                }
            }
            Item first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                log.warn("the ingest thread was interrupted; {} batches stay unacknowledged", queue.size());
                return;
            }
            if (first == null) {
                if (stopping) {
                    return;
                }
                continue;
            }
            group.add(first);
            long bytes = first.bytes();
            int most = groupLimit();
            Item next;
            while (group.size() < most && bytes < settings.groupBytes()
                    && (next = queue.poll()) != null) {
                group.add(next);
                bytes += next.bytes();
            }
            try {
                process(group);
            } catch (RuntimeException e) {
                // A bug: the batches are not acknowledged; their streams are closed so that the agents resend them.
                log.error("ingest failed on a group of {} batches", group.size(), e);
                for (Item i : group) {
                    i.stream().fail(Status.INTERNAL.withDescription("the collector failed to ingest: " + e));
                }
                release(group);
            }
            group.clear();
        }
    }

    /**
     * The most batches the next group takes: {@link IngestSettings#groupBatches()}, but never more than half of what
     * the open streams may have in flight together. A group holding every batch the agents may send unacknowledged
     * leaves them nothing to send until its write is durable, so writes and transfers would take turns; with half,
     * the next group arrives while this one is written (a few agents replaying their spools, for one).
     */
    private int groupLimit() {
        int streamsOpen;
        synchronized (lock) {
            streamsOpen = streams.size();
        }
        long inFlight = Math.min((long) streamsOpen * settings.streamWindow(),
                (long) settings.queueBatches() + streamsOpen);
        return (int) Math.max(1, Math.min(settings.groupBatches(), inFlight / 2));
    }

    private void process(List<Item> group) {
        Ack[] acks = new Ack[group.size()];
        List<WireBatch> batches = new ArrayList<>(group.size());
        List<Integer> at = new ArrayList<>(group.size());
        for (int i = 0; i < group.size(); i++) {
            Item item = group.get(i);
            if (item.refusal() != null) {
                acks[i] = ack(item.batch(), AckStatus.ACK_STATUS_REJECTED, item.refusal());
                forbidden.incrementAndGet();
            } else if (item.batch().malformed()) {
                log.warn("rejected a message of {} bytes: {}", item.bytes(), item.batch().rejection());
                acks[i] = ack(item.batch(), AckStatus.ACK_STATUS_REJECTED, item.batch().rejection());
                malformed.incrementAndGet();
            } else if (item.bytes() > settings.maxBatchBytes()) {
                String error = "batch is " + item.bytes() + " bytes, over the limit of " + settings.maxBatchBytes()
                        + " bytes (max_batch_bytes)";
                log.warn("rejected {}: {}", item.batch(), error);
                acks[i] = ack(item.batch(), AckStatus.ACK_STATUS_REJECTED, error);
                oversized.incrementAndGet();
            } else {
                batches.add(item.batch());
                at.add(i);
            }
        }
        List<ApplyResult> results;
        try {
            results = batches.isEmpty() ? List.of() : feed.applyWire(store, batches, Map.of());
        } catch (RuntimeException e) {
            failed.addAndGet(batches.size());
            log.error("storing {} batches failed; closing their streams so that the agents resend them", batches.size(),
                    e);
            Status status = Status.UNAVAILABLE.withDescription("the collector could not store the batches: "
                    + e.getMessage());
            for (int i : at) {
                group.get(i).stream().fail(status);
            }
            for (int i = 0; i < acks.length; i++) {
                if (acks[i] != null) {
                    group.get(i).stream().ack(acks[i]);
                }
            }
            release(group);
            return;
        }
        for (int r = 0; r < results.size(); r++) {
            ApplyResult result = results.get(r);
            WireBatch b = batches.get(r);
            acks[at.get(r)] = ack(b, result.status(), result.error());
            switch (result.status()) {
                case ACK_STATUS_APPLIED -> applied.incrementAndGet();
                case ACK_STATUS_DUPLICATE -> duplicates.incrementAndGet();
                default -> invalid.incrementAndGet();
            }
        }
        for (int i = 0; i < acks.length; i++) {
            group.get(i).stream().ack(acks[i]);
        }
        release(group);
    }

    private static Ack ack(WireBatch b, AckStatus status, String error) {
        // The batch's own identity, so that the agent finds it even when the store could not read it.
        return Ack.newBuilder().setHostId(b.hostId()).setSessionId(b.sessionId()).setSequence(b.sequence())
                .setStatus(status).setError(error).build();
    }

    // ---- flow control

    /** The group's batches left the queue: their places and bytes are free again. */
    private void release(List<Item> group) {
        synchronized (lock) {
            for (Item i : group) {
                queuedBytes -= i.bytes();
                AgentStream s = i.stream();
                available += poolPlaces(s.held) - poolPlaces(s.held - 1);
                s.held--;
                s.queued--;
                if (s.open && !s.wanting && s.held < settings.streamWindow()) {
                    s.wanting = true;
                    wanting.addLast(s);
                }
            }
        }
        for (Item i : group) {
            i.stream().completeIfDone();
        }
        refill();
    }

    /**
     * Queue places a stream holding {@code held} takes from the shared pool: every stream's first place is its own,
     * so that streams with nothing to send, each waiting for one batch, cannot starve the others.
     */
    private static int poolPlaces(int held) {
        return Math.max(0, held - 1);
    }

    /** Gives free queue places to the streams that want batches, one at a time in turn, and asks gRPC for them. */
    private void refill() {
        Map<AgentStream, Integer> grants = new LinkedHashMap<>();
        synchronized (lock) {
            int misses = 0;
            while (intakeOpen && queuedBytes < settings.queueBytes() && misses < wanting.size()) {
                AgentStream s = wanting.pollFirst();
                s.wanting = false;
                if (!s.open || s.held >= settings.streamWindow()) {
                    continue;
                }
                if (s.held >= 1) {
                    if (available == 0) {
                        s.wanting = true;
                        wanting.addLast(s);
                        misses++;
                        continue;
                    }
                    available--;
                }
                misses = 0;
                s.held++;
                s.outstanding++;
                grants.merge(s, 1, Integer::sum);
                if (s.held < settings.streamWindow()) {
                    s.wanting = true;
                    wanting.addLast(s);
                }
            }
        }
        grants.forEach(AgentStream::request);
    }

    /** One agent's Ingest stream. */
    private final class AgentStream implements StreamObserver<WireBatch> {
        private final ServerCallStreamObserver<Ack> out;
        /** Who sends on this stream: a bound agent may only send batches of its own host. */
        private final Caller caller;
        // Guarded by IngestServiceImpl.this.lock.
        int held; // queue places: batches asked for and not yet acknowledged
        int outstanding; // batches asked for and not yet received
        int queued; // batches received and not yet acknowledged
        boolean open = true; // the agent may still send
        boolean wanting;
        boolean agentDone; // the agent completed its side
        // Guarded by outLock.
        private final Object outLock = new Object();
        private boolean ended; // this side ended, or the call was cancelled

        AgentStream(ServerCallStreamObserver<Ack> out, Caller caller) {
            this.out = out;
            this.caller = caller;
        }

        @Override
        public void onNext(WireBatch batch) {
            int bytes = batch.serializedSize();
            String refusal = batch.malformed() || caller.mayActAs(batch.hostId()) ? null
                    : caller.refuseHost(SERVICE, "send batches", batch.hostId());
            synchronized (lock) {
                if (!open) {
                    return;
                }
                if (outstanding > 0) {
                    outstanding--;
                } else {
                    // gRPC delivers only what was asked for; keep the books right if it ever does not.
                    if (held >= 1) {
                        available--;
                    }
                    held++;
                }
                queued++;
                queuedBytes += bytes;
                queue.add(new Item(this, batch, bytes, refusal));
            }
        }

        @Override
        public void onError(Throwable t) {
            log.debug("ingest stream failed", t);
            stop();
        }

        @Override
        public void onCompleted() {
            synchronized (lock) {
                agentDone = true;
            }
            stop();
            completeIfDone();
        }

        void cancelled() {
            synchronized (outLock) {
                ended = true;
            }
            stop();
        }

        /** The agent sends no more: places asked for and not received are free again. */
        private void stop() {
            synchronized (lock) {
                if (!open) {
                    return;
                }
                open = false;
                int before = poolPlaces(held);
                held -= outstanding;
                outstanding = 0;
                available += before - poolPlaces(held);
                streams.remove(this);
            }
            refill();
        }

        /** Completes this side once the agent completed its and every batch it sent is acknowledged. */
        void completeIfDone() {
            synchronized (lock) {
                if (!agentDone || queued > 0) {
                    return;
                }
            }
            synchronized (outLock) {
                if (ended) {
                    return;
                }
                ended = true;
                try {
                    out.onCompleted();
                } catch (RuntimeException e) {
                    log.debug("completing an ingest stream", e);
                }
            }
        }

        void request(int n) {
            synchronized (outLock) {
                if (!ended) {
                    out.request(n);
                }
            }
        }

        void ack(Ack ack) {
            synchronized (outLock) {
                if (ended) {
                    return;
                }
                try {
                    out.onNext(ack);
                } catch (RuntimeException e) {
                    ended = true;
                    log.debug("acknowledging on an ingest stream that ended", e);
                }
            }
        }

        /** Ends the stream with {@code status}; the agent resends what is unacknowledged on a new one. */
        void fail(Status status) {
            synchronized (outLock) {
                if (!ended) {
                    ended = true;
                    try {
                        out.onError(status.asRuntimeException());
                    } catch (RuntimeException e) {
                        log.debug("closing an ingest stream", e);
                    }
                }
            }
            stop();
        }
    }
}
