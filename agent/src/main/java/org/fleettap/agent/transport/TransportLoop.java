package org.fleettap.agent.transport;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.fleettap.proto.v1.Batch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part both transports share: the bounded intake queue, the one thread that moves batches from
 * it into the spool and lets the {@link Link} send from the spool, flush and close.
 *
 * <p>Every batch goes through the spool (the write-ahead log) before it is sent, so the order on the
 * wire is the order of submission, and a broken connection only needs {@link Spool#rewind}.
 */
final class TransportLoop {
    private static final Logger log = LoggerFactory.getLogger(TransportLoop.class);
    private static final long ERROR_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Duration JOIN_GRACE = Duration.ofSeconds(10);

    /** The network side of a transport. Its methods run on the loop's thread only. */
    interface Link {
        /**
         * Handles what the network reported since the last call and sends what the window allows
         * from the spool.
         *
         * @return when (in {@link System#nanoTime} terms) to be called again even if nothing else
         *     happens, or {@link Long#MAX_VALUE}
         */
        long pump(long nowNanos);

        /** Cancels what is in flight and releases the network. Called once, as the loop ends. */
        void shutdown();
    }

    private final String name;
    private final Spool spool;
    private final Counters counters;
    private final int capacity;
    private final Duration closeTimeout;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition progress = lock.newCondition();
    private final AtomicBoolean closing = new AtomicBoolean();

    // Guarded by lock.
    private final ArrayDeque<Batch> intake;
    private final Map<SessionKey, Long> intakeDrops = new HashMap<>();
    /** Set at start, so that batches recovered by the spool are sent without waiting for a new one. */
    private boolean wake = true;
    private boolean accepting = true;
    private boolean dropping;
    private boolean stopping;
    private boolean stopped;
    private long flushRequested;
    private long flushSynced;
    private long unacked;

    private Thread thread;
    private Link link;

    TransportLoop(String name, Spool spool, int capacity, Duration closeTimeout, Counters counters) {
        this.name = Objects.requireNonNull(name, "name");
        this.spool = Objects.requireNonNull(spool, "spool");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.closeTimeout = Objects.requireNonNull(closeTimeout, "closeTimeout");
        this.capacity = capacity;
        this.intake = new ArrayDeque<>(Math.min(capacity, 1024));
        this.unacked = spool.stats().batches();
    }

    /** Starts the loop's thread, which drives {@code link} from now on. */
    void start(Link link) {
        if (this.link != null) {
            throw new IllegalStateException(name + " started twice");
        }
        this.link = Objects.requireNonNull(link, "link");
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Called by network callbacks (any thread): something for {@link Link#pump} to handle. */
    void wakeUp() {
        lock.lock();
        try {
            wake = true;
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    void submit(Batch batch) {
        Objects.requireNonNull(batch, "batch");
        boolean startedDropping = false;
        boolean closed;
        lock.lock();
        try {
            closed = !accepting;
            if (closed || intake.size() >= capacity) {
                counters.intakeDropped.incrementAndGet();
                if (!closed) {
                    intakeDrops.merge(SessionKey.of(batch), 1L, Long::sum);
                    wake = true;
                    work.signal();
                }
                startedDropping = !dropping;
                dropping = true;
            } else {
                dropping = false;
                intake.addLast(batch);
                counters.submitted.incrementAndGet();
                wake = true;
                work.signal();
                return;
            }
        } finally {
            lock.unlock();
        }
        if (startedDropping) {
            log.warn("{}: dropping batch {} and any that follow until there is room: {}", name, BatchKey.of(batch),
                    closed ? "the transport is closed" : "the queue of " + capacity + " batches is full");
        }
    }

    /**
     * Waits until everything submitted before the call is in the spool (synced) and acknowledged.
     *
     * @return whether that happened before the timeout
     */
    boolean flush(Duration timeout) {
        return await(timeout, true);
    }

    /** Waits until everything submitted before the call is in the spool and synced to disk. */
    boolean awaitSpooled(Duration timeout) {
        return await(timeout, false);
    }

    private boolean await(Duration timeout, boolean acknowledged) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            if (stopped) {
                return false;
            }
            long id = ++flushRequested;
            wake = true;
            work.signal();
            while (!stopped && !(flushSynced >= id && (!acknowledged || (intake.isEmpty() && unacked == 0)))) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                progress.awaitNanos(left);
            }
            return !stopped;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Batches in the spool not yet acknowledged, as of the loop's last round. */
    long unacknowledged() {
        lock.lock();
        try {
            return unacked;
        } finally {
            lock.unlock();
        }
    }

    Thread thread() {
        return thread;
    }

    /** Stops intake, flushes for the close timeout, then stops the thread (which shuts the link and spool). */
    void close() {
        if (!closing.compareAndSet(false, true)) {
            join();
            return;
        }
        lock.lock();
        try {
            accepting = false;
        } finally {
            lock.unlock();
        }
        boolean delivered = flush(closeTimeout);
        lock.lock();
        try {
            stopping = true;
            work.signal();
        } finally {
            lock.unlock();
        }
        join();
        if (!delivered) {
            log.info("{}: closed with {} batches not acknowledged within {}; they stay in spool {}", name,
                    spool.stats().batches(), closeTimeout, spool.directory());
        }
    }

    private void join() {
        try {
            thread.join(closeTimeout.plus(JOIN_GRACE).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("{}: its thread did not end within {}", name, closeTimeout.plus(JOIN_GRACE));
        }
    }

    private void run() {
        long timer = Long.MAX_VALUE;
        long synced = 0;
        try {
            while (true) {
                List<Batch> batches;
                Map<SessionKey, Long> drops;
                long flushId;
                boolean stop;
                lock.lock();
                try {
                    while (!wake && !stopping) {
                        if (timer == Long.MAX_VALUE) {
                            work.await();
                        } else {
                            long left = timer - System.nanoTime();
                            if (left <= 0) {
                                break;
                            }
                            work.awaitNanos(left);
                        }
                    }
                    wake = false;
                    batches = new ArrayList<>(intake);
                    intake.clear();
                    drops = intakeDrops.isEmpty() ? Map.of() : new HashMap<>(intakeDrops);
                    intakeDrops.clear();
                    flushId = flushRequested;
                    stop = stopping;
                } finally {
                    lock.unlock();
                }
                spoolAll(batches, drops);
                if (flushId > synced || stop) {
                    sync();
                    synced = flushId;
                }
                if (stop) {
                    break;
                }
                timer = pump();
                publish(flushId);
            }
        } catch (InterruptedException e) {
            log.warn("{}: interrupted; stopping", name);
        } catch (RuntimeException | Error e) {
            log.error("{}: stopped by an unexpected failure; batches submitted from now on are dropped", name, e);
            throw e;
        } finally {
            try {
                link.shutdown();
            } catch (RuntimeException e) {
                log.warn("{}: shutting down the network side", name, e);
            }
            spool.close();
            lock.lock();
            try {
                stopped = true;
                accepting = false;
                progress.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private void spoolAll(List<Batch> batches, Map<SessionKey, Long> drops) {
        for (Map.Entry<SessionKey, Long> d : drops.entrySet()) {
            spool.recordDropped(d.getKey(), d.getValue());
        }
        for (Batch b : batches) {
            try {
                if (spool.append(b) != null) {
                    counters.spooled.incrementAndGet();
                }
            } catch (IOException e) {
                log.error("{}: batch {} could not be spooled and is dropped", name, BatchKey.of(b), e);
            }
        }
    }

    private void sync() {
        try {
            spool.sync();
        } catch (IOException e) {
            log.warn("{}: syncing the spool", name, e);
        }
    }

    private long pump() {
        long now = System.nanoTime();
        try {
            return link.pump(now);
        } catch (RuntimeException e) {
            log.error("{}: unexpected failure while sending; trying again in 1 s", name, e);
            return now + ERROR_RETRY_NANOS;
        }
    }

    private void publish(long flushId) {
        long live = spool.stats().batches();
        lock.lock();
        try {
            flushSynced = flushId;
            unacked = live;
            progress.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
