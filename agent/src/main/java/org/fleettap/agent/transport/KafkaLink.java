package org.fleettap.agent.transport;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka side of {@link KafkaTransport}: sends from the spool through one producer, at most
 * {@code window} records awaiting their callback. A record acknowledged by Kafka ({@code acks=all})
 * is released from the spool. A retriable failure (Kafka unreachable until {@code
 * delivery.timeout.ms}, for one) rewinds the spool and, once every outstanding callback has come
 * back, resends from the oldest unacknowledged batch after a backoff; a failure that can never
 * succeed (a record too large) is counted and released. A producer that throws instead of calling
 * back is closed and replaced.
 *
 * <p>Callbacks run on the producer's I/O thread and only queue results; the queue holds at most
 * {@code window} results (one per outstanding record).
 */
final class KafkaLink implements TransportLoop.Link {
    private static final Logger log = LoggerFactory.getLogger(KafkaLink.class);

    /** The outcome of one send; {@code generation} tells failures of a round already given up. */
    private record Result(long generation, BatchKey key, Exception error) {}

    private final Supplier<? extends Producer<byte[], byte[]>> producers;
    private final String topic;
    private final Spool spool;
    private final Counters counters;
    private final Runnable wakeUp;
    private final int window;
    private final Duration closeTimeout;
    private final Backoff backoff;
    private final ConcurrentLinkedQueue<Result> results = new ConcurrentLinkedQueue<>();
    private Producer<byte[], byte[]> producer;
    private boolean replaceProducer;
    private int outstanding;
    private long generation;
    private boolean waiting;
    private long retryNanos;
    private boolean failing;
    private long failuresSinceDelivery;
    private long lastWarningNanos;
    private boolean refusalReported;

    KafkaLink(Supplier<? extends Producer<byte[], byte[]>> producers, String topic, Spool spool,
            TransportSettings settings, Counters counters, Runnable wakeUp, Random random) {
        this.producers = Objects.requireNonNull(producers, "producers");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.spool = Objects.requireNonNull(spool, "spool");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.wakeUp = Objects.requireNonNull(wakeUp, "wakeUp");
        this.window = settings.maxUnackedBatches();
        this.closeTimeout = settings.closeTimeout();
        this.backoff = new Backoff(settings.backoffInitial(), settings.backoffMax(), random);
    }

    /** The record for a batch: keyed by its host id, so that a host's batches share a partition. */
    static ProducerRecord<byte[], byte[]> record(String topic, SpooledBatch batch) {
        return new ProducerRecord<>(topic, batch.key().hostId().getBytes(StandardCharsets.UTF_8), batch.toByteArray());
    }

    @Override
    public long pump(long now) {
        handleResults(now);
        if (waiting && outstanding == 0 && now - retryNanos >= 0) {
            waiting = false;
        }
        // One record at a time, handling what came back in between: a send that blocks (no metadata
        // while Kafka is unreachable) fails through its callback, and the next is not attempted.
        while (!waiting && outstanding < window && sendOne(now)) {
            handleResults(now);
        }
        return waiting && outstanding == 0 ? retryNanos : Long.MAX_VALUE;
    }

    private void handleResults(long now) {
        Result r;
        while ((r = results.poll()) != null) {
            outstanding--;
            handle(r, now);
        }
    }

    private void handle(Result r, long now) {
        if (r.error() == null) {
            counters.applied.incrementAndGet();
            spool.ack(r.key());
            if (r.generation() == generation) {
                backoff.reset();
                if (failing) {
                    failing = false;
                    refusalReported = false;
                    log.info("Kafka topic {} is accepting batches again after {} failures", topic,
                            failuresSinceDelivery);
                }
                failuresSinceDelivery = 0;
            }
            return;
        }
        if (isPermanent(r.error())) {
            counters.rejected.incrementAndGet();
            log.error("Kafka refused batch {} for good; it is not resent", r.key(), r.error());
            spool.ack(r.key());
            return;
        }
        if (r.generation() != generation) {
            return; // its round was given up already: the batch was rewound and will be resent
        }
        failed(now, "sending batch " + r.key() + " failed", r.error());
    }

    private void failed(long now, String why, Exception error) {
        generation++;
        waiting = true;
        long delay = backoff.nextDelayNanos();
        retryNanos = now + delay;
        spool.rewind();
        counters.failures.incrementAndGet();
        failuresSinceDelivery++;
        boolean refusal = isRefusal(error);
        // Once a minute while it fails, and at once when Kafka starts refusing the agent (a first attempt may time
        // out before the broker has said why).
        if (!failing || now - lastWarningNanos >= GrpcLink.WARNING_INTERVAL_NANOS || (refusal && !refusalReported)) {
            failing = true;
            lastWarningNanos = now;
            refusalReported = refusal;
            long delayMillis = TimeUnit.NANOSECONDS.toMillis(delay);
            if (refusal) {
                // A setting of the agent's (credentials, rights), not a fault: Kafka's reason on one line.
                log.warn("{}: Kafka refused the agent: {} (Kafka topic {}, {} failures since the last delivery; "
                        + "check the Kafka client settings); the batches stay in the spool, next attempt in {} ms",
                        why, error.getMessage(), topic, failuresSinceDelivery, delayMillis);
                log.debug("the refusal", error);
            } else if (error instanceof ApiException) {
                // Kafka's own errors (unreachable, timed out) are conditions, not bugs: one line; the trace at debug.
                log.warn("{}: {} (Kafka topic {}, {} failures since the last delivery); resending every "
                        + "unacknowledged batch from the spool in {} ms, once the {} records outstanding have "
                        + "completed", why, error.getMessage(), topic, failuresSinceDelivery, delayMillis,
                        outstanding);
                log.debug("the failure", error);
            } else {
                log.warn("{} (Kafka topic {}, {} failures since the last delivery); resending every unacknowledged "
                        + "batch from the spool in {} ms, once the {} records outstanding have completed", why, topic,
                        failuresSinceDelivery, delayMillis, outstanding, error);
            }
        } else {
            log.debug("{} (Kafka topic {}) again; next attempt in {} ms", why, topic,
                    TimeUnit.NANOSECONDS.toMillis(delay), error);
        }
    }

    /** Sends the spool's next batch; false when there is none or no producer could be made. */
    private boolean sendOne(long now) {
        if (!spool.hasUnsent()) {
            return false;
        }
        if ((producer == null || replaceProducer) && !newProducer(now)) {
            return false;
        }
        SpooledBatch b = spool.next();
        if (b == null) {
            return false;
        }
        BatchKey key = b.key();
        long g = generation;
        outstanding++;
        counters.sent.incrementAndGet();
        try {
            producer.send(record(topic, b), (metadata, error) -> {
                results.add(new Result(g, key, error));
                wakeUp.run();
            });
        } catch (RuntimeException e) {
            // Thrown rather than called back: the producer is in a state it will not leave.
            replaceProducer = !isPermanent(e);
            results.add(new Result(g, key, e));
        }
        return true;
    }

    private boolean newProducer(long now) {
        if (producer != null) {
            closeProducer(Duration.ZERO);
        }
        replaceProducer = false;
        try {
            producer = producers.get();
            return true;
        } catch (RuntimeException e) {
            failed(now, "creating a Kafka producer failed", e);
            return false;
        }
    }

    private void closeProducer(Duration timeout) {
        try {
            producer.close(timeout);
        } catch (RuntimeException e) {
            log.warn("closing the Kafka producer for topic {}", topic, e);
        }
        producer = null;
    }

    /** Kafka refused the agent's credentials or rights: retried (they may be fixed on the broker's side). */
    static boolean isRefusal(Exception e) {
        return e instanceof AuthenticationException || e instanceof AuthorizationException;
    }

    static boolean isPermanent(Exception e) {
        return e instanceof RecordTooLargeException
                || e instanceof RecordBatchTooLargeException
                || e instanceof SerializationException;
    }

    @Override
    public void shutdown() {
        if (producer != null) {
            closeProducer(closeTimeout);
        }
    }
}
