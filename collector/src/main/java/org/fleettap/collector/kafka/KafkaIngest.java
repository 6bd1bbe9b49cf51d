package org.fleettap.collector.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.fleettap.collector.ingest.AppliedFeed;
import org.fleettap.collector.store.ApplyResult;
import org.fleettap.collector.store.KafkaPartition;
import org.fleettap.collector.store.Store;
import org.fleettap.proto.v1.Batch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the agents' batches from a Kafka topic into the store, exactly once.
 *
 * <p>The store, not Kafka, keeps the consumer offsets: each poll's batches are applied together with the offsets
 * after its records ({@link Store#applyAll(List, Map)}, one synced write), and every partition assigned to the
 * consumer is positioned at the offset stored for it (the beginning of the partition when none is). So after any
 * crash the consumer resumes exactly after the last records applied, and a record is never applied twice. The
 * offsets are also committed to the group, asynchronously and only for monitoring (consumer lag).
 *
 * <p>A record whose value is not a {@code Batch}, or is over {@link KafkaIngestConfig#maxRecordBytes()}, is counted
 * by reason and skipped (its offset advances like any other, so a poisoned record never stops the group). A
 * batch Kafka holds twice (an agent's resend after a failed delivery) is a DUPLICATE by its (host, session,
 * sequence). When a store write fails, nothing of it was applied: the consumer goes back to the stored offsets and
 * reads the records again after a pause; what had been read after them is dropped unwritten and read again too.
 *
 * <p>One thread polls and parses; another ({@link GroupWriter}) applies through the {@link AppliedFeed} (which tells
 * live queries), one poll's batches per write, while the next poll is read and parsed. A poll holds up to {@code
 * maxPollRecords} records, fetched up to {@link #PARTITION_FETCH_BYTES} per partition unless configured otherwise:
 * the more batches one write holds, the fewer syncs and rollup rewrites per batch.
 */
public final class KafkaIngest implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaIngest.class);
    static final String THREAD_NAME = "fleettap-kafka-ingest";
    static final String WRITER_THREAD_NAME = "fleettap-kafka-writer";
    private static final Duration RETRY_DELAY = Duration.ofSeconds(1);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
    /** The counts are logged this often while they change (and when ingest stops). */
    static final Duration STATS_LOG_INTERVAL = Duration.ofMinutes(1);
    /** While Kafka refuses the collector's credentials, it says so this often. */
    static final Duration REFUSAL_LOG_INTERVAL = Duration.ofMinutes(1);
    /**
     * Kafka's {@code max.partition.fetch.bytes} unless the configuration sets it: Kafka's default of 1 MiB holds
     * fewer than 100 batches of 100 keys (about 12 KB each), so a poll of one busy partition could never fill
     * {@code maxPollRecords} and the store wrote small groups (each write costs a sync and, with rollups, a rewrite
     * of every rollup window the group touches).
     */
    static final int PARTITION_FETCH_BYTES = 8 << 20;

    private final KafkaIngestConfig config;
    private final Store store;
    private final AppliedFeed feed;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Object lifecycle = new Object();
    private boolean closed; // guarded by lifecycle
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong oversized = new AtomicLong();
    private final AtomicLong failedWrites = new AtomicLong();
    // Used on the consumer's thread only.
    private GroupWriter writer;
    private long readEpoch;
    private boolean refusing;
    private long lastRefusalLog;

    private KafkaIngest(KafkaIngestConfig config, Store store, AppliedFeed feed) {
        this.config = config;
        this.store = store;
        this.feed = feed;
        this.consumer = new KafkaConsumer<>(consumerProperties(config), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        this.thread = new Thread(this::run, THREAD_NAME);
        thread.setDaemon(true);
    }

    /** Subscribes to the topic and starts the consumer's thread. */
    public static KafkaIngest start(KafkaIngestConfig config, Store store, AppliedFeed feed) {
        KafkaIngest k = new KafkaIngest(Objects.requireNonNull(config, "config"), Objects.requireNonNull(store, "store"),
                Objects.requireNonNull(feed, "feed"));
        k.thread.start();
        log.info("reading batches from Kafka topic {} at {} as group {}", config.topic(), config.bootstrapServers(),
                config.groupId());
        return k;
    }

    public KafkaIngestConfig config() {
        return config;
    }

    public KafkaIngestStats stats() {
        return new KafkaIngestStats(records.get(), applied.get(), duplicates.get(), rejected.get(), malformed.get(),
                oversized.get(), failedWrites.get());
    }

    /** Stops polling (a write in progress completes), closes the consumer and waits for its thread. Idempotent. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
        }
        closing.countDown();
        consumer.wakeup();
        try {
            thread.join(CLOSE_TIMEOUT.toMillis());
            if (thread.isAlive()) {
                log.warn("the Kafka ingest thread did not stop within {}", CLOSE_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("Kafka ingest stopped: {}", stats());
    }

    static Properties consumerProperties(KafkaIngestConfig config) {
        Properties p = new Properties();
        p.putAll(config.extraProperties());
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(config.maxPollRecords()));
        p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "fleettap-collector");
        p.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(PARTITION_FETCH_BYTES));
        return p;
    }

    private void run() {
        GroupWriter w = new GroupWriter(WRITER_THREAD_NAME, (batches, offsets) -> feed.apply(store, batches, offsets),
                this::written, this::writeFailed);
        writer = w;
        readEpoch = w.epoch();
        try {
            consumer.subscribe(List.of(config.topic()), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    log.debug("Kafka partitions revoked: {}", partitions);
                    quiesce();
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    log.debug("Kafka partitions assigned: {}", partitions);
                    quiesce();
                    seekToStored(consumer.assignment());
                }
            });
            KafkaIngestStats logged = stats();
            long nextLog = System.nanoTime() + STATS_LOG_INTERVAL.toNanos();
            while (closing.getCount() > 0) {
                if (System.nanoTime() - nextLog >= 0) {
                    nextLog = System.nanoTime() + STATS_LOG_INTERVAL.toNanos();
                    KafkaIngestStats now = stats();
                    if (!now.equals(logged)) {
                        log.info("Kafka ingest from topic {}: {}", config.topic(), now);
                        logged = now;
                    }
                }
                if (w.epoch() != readEpoch) {
                    // A write failed: nothing of it was applied, nor of what was read after it.
                    if (pause()) {
                        break;
                    }
                    quiesce();
                    seekToStored(consumer.assignment());
                }
                commit(w.takeCommit());
                ConsumerRecords<byte[], byte[]> polled;
                try {
                    polled = consumer.poll(config.pollTimeout());
                } catch (WakeupException e) {
                    break;
                } catch (AuthenticationException | AuthorizationException e) {
                    refused(e);
                    if (pause()) {
                        break;
                    }
                    continue;
                } catch (RuntimeException e) {
                    log.error("polling Kafka topic {} failed; retrying in {}", config.topic(), RETRY_DELAY, e);
                    if (pause()) {
                        break;
                    }
                    continue;
                }
                if (refusing) {
                    refusing = false;
                    log.info("Kafka at {} lets the collector read topic {} again", config.bootstrapServers(),
                            config.topic());
                }
                if (!polled.isEmpty() && !w.put(parse(polled, readEpoch, config.maxRecordBytes()))) {
                    break;
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("Kafka ingest from topic {} stopped by an unexpected failure", config.topic(), e);
        } finally {
            try {
                w.stop(CLOSE_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            } catch (RuntimeException e) {
                log.warn("closing the Kafka consumer", e);
            }
        }
    }

    /**
     * Kafka refused the collector's credentials (authentication) or rights (authorization): a setting of
     * {@code --kafka-config}, not a fault of the collector, so one line with Kafka's reason and no stack trace, once
     * a minute while it lasts (each failure at debug level, with the stack trace).
     */
    private void refused(RuntimeException e) {
        long now = System.nanoTime();
        if (!refusing || now - lastRefusalLog >= REFUSAL_LOG_INTERVAL.toNanos()) {
            log.error("Kafka at {} refused the collector reading topic {}: {} (check the Kafka client settings); "
                    + "retrying every {}", config.bootstrapServers(), config.topic(), e.getMessage(), RETRY_DELAY);
            lastRefusalLog = now;
        }
        refusing = true;
        log.debug("polling Kafka topic {} was refused", config.topic(), e);
    }

    /** Drops what was read and not written yet, and waits for the write in progress; the store's offsets are final. */
    private void quiesce() {
        try {
            readEpoch = writer.quiesce();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WakeupException();
        }
    }

    /**
     * The batches in one poll's records, and the offsets after them. Records that are not batches (no value, over
     * {@link KafkaIngestConfig#maxRecordBytes()}, bytes that do not parse) are logged, counted and skipped: their
     * offsets advance with the good records' in the same store write, so the consumer never reads them again.
     */
    private static GroupWriter.Group parse(ConsumerRecords<byte[], byte[]> polled, long epoch, int maxRecordBytes) {
        List<Batch> batches = new ArrayList<>(polled.count());
        Map<KafkaPartition, Long> offsets = new LinkedHashMap<>();
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        int bad = 0;
        int oversized = 0;
        for (ConsumerRecord<byte[], byte[]> r : polled) {
            offsets.put(new KafkaPartition(r.topic(), r.partition()), r.offset() + 1);
            commit.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
            if (r.value() == null) {
                bad++;
                log.warn("skipping Kafka record {}-{}@{}: it has no value", r.topic(), r.partition(), r.offset());
                continue;
            }
            if (r.value().length > maxRecordBytes) {
                oversized++;
                log.warn("skipping Kafka record {}-{}@{}: its value is {} bytes, over the limit of {} bytes",
                        r.topic(), r.partition(), r.offset(), r.value().length, maxRecordBytes);
                continue;
            }
            try {
                batches.add(Batch.parseFrom(r.value()));
            } catch (InvalidProtocolBufferException | RuntimeException e) {
                bad++;
                log.warn("skipping Kafka record {}-{}@{}: its value ({} bytes) is not a Batch: {}", r.topic(),
                        r.partition(), r.offset(), r.value().length, String.valueOf(e.getMessage()).strip());
            }
        }
        return new GroupWriter.Group(epoch, batches, offsets, commit, polled.count(), bad, oversized);
    }

    /** On the writer's thread: {@code g} was applied. Records are counted last (tests wait for them). */
    private void written(GroupWriter.Group g, List<ApplyResult> results) {
        for (ApplyResult r : results) {
            switch (r.status()) {
                case ACK_STATUS_APPLIED -> applied.incrementAndGet();
                case ACK_STATUS_DUPLICATE -> duplicates.incrementAndGet();
                default -> rejected.incrementAndGet();
            }
        }
        malformed.addAndGet(g.malformed());
        oversized.addAndGet(g.oversized());
        records.addAndGet(g.records());
    }

    /** On the writer's thread: a store write failed; the consumer goes back to the stored offsets. */
    private void writeFailed(RuntimeException e) {
        failedWrites.incrementAndGet();
        log.error("storing batches from Kafka topic {} failed; reading them again from the stored offsets in {}",
                config.topic(), RETRY_DELAY, e);
    }

    private void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (offsets.isEmpty()) {
            return;
        }
        consumer.commitAsync(offsets, (committed, e) -> {
            if (e != null) {
                log.debug("committing offsets to Kafka group {} (for monitoring only) failed", config.groupId(), e);
            }
        });
    }

    /** Positions each partition at the offset stored for it, or at its beginning. */
    private void seekToStored(Collection<TopicPartition> partitions) {
        Map<KafkaPartition, Long> stored = store.kafkaOffsets();
        List<TopicPartition> fromStart = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            Long offset = stored.get(new KafkaPartition(tp.topic(), tp.partition()));
            if (offset == null) {
                fromStart.add(tp);
            } else {
                consumer.seek(tp, offset);
            }
        }
        if (!fromStart.isEmpty()) {
            consumer.seekToBeginning(fromStart);
        }
        log.info("Kafka partitions assigned: {} (at the stored offsets {}; from the beginning: {})", partitions,
                stored, fromStart);
    }

    /** Waits before a retry; true when closing. */
    private boolean pause() {
        try {
            return closing.await(RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }
}
