package org.fleettap.agent.transport;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.fleettap.proto.v1.Batch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends batches to a Kafka topic with an idempotent producer ({@code acks=all}): each record's key
 * is the batch's host id (so a host's batches stay in order in one partition) and its value the
 * serialized {@code Batch}, as the collector's consumer expects.
 *
 * <p>Every batch is appended to the {@link Spool} first and released when Kafka acknowledges it.
 * While Kafka cannot be reached (a send fails once {@link TransportSettings#ackTimeout()} has passed
 * as the producer's {@code delivery.timeout.ms}), batches stay in the spool; the transport retries
 * with exponential backoff and jitter and resends them in order. At most {@link
 * TransportSettings#maxUnackedBatches()} records await acknowledgement at a time. The transport owns
 * the spool it is given and closes it when it closes.
 */
public final class KafkaTransport implements BatchSink {
    private static final Logger log = LoggerFactory.getLogger(KafkaTransport.class);
    static final String THREAD_NAME = "fleettap-kafka-transport";

    private final TransportLoop loop;
    private final Counters counters = new Counters();
    private final Spool spool;

    KafkaTransport(Supplier<? extends Producer<byte[], byte[]>> producers, String topic, Spool spool,
            TransportSettings settings, Random random) {
        this.spool = Objects.requireNonNull(spool, "spool");
        Objects.requireNonNull(settings, "settings");
        this.loop = new TransportLoop(THREAD_NAME, spool, settings.intakeCapacity(), settings.closeTimeout(), counters);
        loop.start(new KafkaLink(producers, topic, spool, settings, counters, loop::wakeUp, random));
    }

    /** A transport producing to {@code config.topic()}; the producer is created on the transport's thread. */
    public static KafkaTransport connect(KafkaTransportConfig config, Spool spool, TransportSettings settings) {
        Map<String, Object> props = config.producerProperties(settings);
        return new KafkaTransport(
                () -> new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer()),
                config.topic(), spool, settings, new Random());
    }

    @Override
    public void submit(Batch batch) {
        loop.submit(batch);
    }

    @Override
    public void flush(Duration timeout) {
        if (!loop.flush(timeout)) {
            log.info("flush: {} batches not acknowledged by Kafka within {}; they stay in spool {}",
                    loop.unacknowledged(), timeout, spool.directory());
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

    /** The transport's own thread (tests watch where it blocks). */
    Thread thread() {
        return loop.thread();
    }
}
