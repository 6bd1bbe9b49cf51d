package org.fleettap.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.fleettap.agent.transport.KafkaTransport;
import org.fleettap.agent.transport.KafkaTransportConfig;
import org.fleettap.agent.transport.Spool;
import org.fleettap.agent.transport.SpoolConfig;
import org.fleettap.agent.transport.TransportSettings;
import org.fleettap.agent.transport.TransportStats;
import org.fleettap.collector.ingest.AppliedFeed;
import org.fleettap.collector.kafka.KafkaIngest;
import org.fleettap.collector.kafka.KafkaIngestConfig;
import org.fleettap.collector.kafka.KafkaIngestStats;
import org.fleettap.collector.store.ApplyResult;
import org.fleettap.collector.store.Store;
import org.fleettap.collector.store.StoreOptions;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;
import org.fleettap.testing.kafka.KafkaBroker;

/**
 * Collector ingest through Kafka, end to end (issue 5: at least 100,000 aggregate updates/s): the fleet of {@link
 * StoreIngestBenchmark} (100 hosts × 100 keys, one batch per host per second) produced to a real broker (KRaft, child
 * JVM) by the agent's own {@link KafkaTransport} (records keyed by host, values the serialized batch, idempotent,
 * {@code acks=all}), read by the collector's {@link KafkaIngest} into a real {@link Store} in a temporary directory.
 *
 * <ol>
 *   <li><b>drain</b>: the topic is pre-filled with {@code -Dseconds} seconds of the fleet, then a fresh store and a
 *       new consumer group are timed from {@code KafkaIngest.start} until the store has applied every batch (and,
 *       separately, from its first write); {@code -Dreps} times, each with its own store and group.</li>
 *   <li><b>store alone</b>: the same batches, serialized as on the topic, parsed and applied by {@link
 *       Store#applyAll} directly in groups of the size the Kafka runs wrote, and of one fleet second (100): the
 *       ceiling the Kafka path is compared with.</li>
 *   <li><b>concurrent</b>: a consumer already reading an empty topic while the transports produce the same number of
 *       seconds as fast as they can; timed from the first submit until everything is applied.</li>
 * </ol>
 *
 * Every phase checks that exactly the batches produced were applied, once each, and stops otherwise. Run: {@code
 * java -cp bench/target/benchmarks.jar org.fleettap.bench.KafkaIngestBench} with {@code -Dseconds=60 -Dreps=3
 * -Dpartitions=4 -Dproducers=4 -Drollup=true}.
 */
public final class KafkaIngestBench {
    private static final int HOSTS = StoreIngestBenchmark.HOSTS;
    private static final int KEYS = StoreIngestBenchmark.KEYS;
    private static final Duration DEADLINE = Duration.ofMinutes(10);
    private static final String CONSUMER_PREFIX = "consumer.";
    private static final long STATS_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final int seconds = Integer.getInteger("seconds", 60);
    private final int reps = Integer.getInteger("reps", 3);
    private final int partitions = Integer.getInteger("partitions", 4);
    private final int producers = Integer.getInteger("producers", 4);
    private final boolean rollup = Boolean.parseBoolean(System.getProperty("rollup", "true"));
    private final int segmentBytes = Integer.getInteger("segment.bytes", 1 << 30);
    private final int maxPollRecords = Integer.getInteger("maxPollRecords", KafkaIngestConfig.DEFAULT_MAX_POLL_RECORDS);
    private final Path work;
    private final KafkaBroker kafka;
    private final List<List<AggregateDelta>> deltas = new ArrayList<>();

    private KafkaIngestBench(Path work, KafkaBroker kafka) {
        this.work = work;
        this.kafka = kafka;
        for (int h = 0; h < HOSTS; h++) {
            deltas.add(StoreFixtures.deltas(KEYS, h));
        }
    }

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("kafka-ingest-bench");
        try (KafkaBroker kafka = KafkaBroker.start(work)) {
            new KafkaIngestBench(work, kafka).run();
        } finally {
            StoreFixtures.delete(work);
        }
    }

    /** What one timed ingest saw. */
    private record Run(long batches, long nanosFromStart, long nanosFromFirstWrite, long writes) {
        double updatesPerSecond() {
            return batches * (double) KEYS / (nanosFromStart / 1e9);
        }

        double steadyUpdatesPerSecond() {
            return batches * (double) KEYS / (nanosFromFirstWrite / 1e9);
        }

        double batchesPerWrite() {
            return batches / (double) writes;
        }
    }

    private void run() throws Exception {
        long total = (long) seconds * HOSTS;
        Batch sample = batch(0, 1);
        System.out.printf("Kafka ingest: %d hosts x %d keys, %d s of the fleet = %d batches = %d updates (%d bytes"
                        + " per batch); %d partitions (%d-byte segments), %d producing transports, rollup %s, max.poll.records %d,"
                        + " other consumer settings %s; %d CPUs%n", HOSTS, KEYS, seconds, total, total * KEYS,
                sample.getSerializedSize(), partitions, segmentBytes, producers, rollup, maxPollRecords, consumerProperties(), Runtime.getRuntime().availableProcessors());

        String topic = "drain";
        String live = "concurrent";
        createTopic(topic);
        createTopic(live);
        long t = System.nanoTime();
        produce(topic, 1, seconds);
        System.out.printf("pre-filled topic %s with %d records in %.1f s%n", topic, endOffsets(topic), secondsSince(t));
        checkEndOffsets(topic, total);

        List<byte[]> wire = new ArrayList<>();
        for (int s = 1; s <= seconds; s++) {
            for (int h = 0; h < HOSTS; h++) {
                wire.add(batch(h, s).toByteArray());
            }
        }
        for (int r = 1; r <= reps; r++) {
            Run drain = consume(topic, "drain-" + r, total, null);
            print("drain " + r, drain);
            int size = (int) Math.round(drain.batchesPerWrite());
            print("store alone, " + size + " per write, " + r, storeAlone(wire, size));
            print("store alone, " + HOSTS + " per write, " + r, storeAlone(wire, HOSTS));
        }

        Run concurrent = consume(live, "concurrent", total, () -> produce(live, 2, seconds + 1));
        print("concurrent produce+consume", concurrent);
    }

    private static void print(String what, Run r) {
        System.out.printf("%-34s %8d batches  %7.2f s  %,10.0f updates/s from start  %,10.0f updates/s from first"
                        + " write  %5d writes  %6.1f batches/write%n", what, r.batches(), r.nanosFromStart() / 1e9,
                r.updatesPerSecond(), r.steadyUpdatesPerSecond(), r.writes(), r.batchesPerWrite());
    }

    private Batch batch(int host, long second) {
        return StoreFixtures.batch(host, second, StoreFixtures.T0 + (second - 1) * StoreFixtures.SECOND,
                deltas.get(host));
    }

    /**
     * Reads {@code topic} with a fresh store and group until {@code expected} batches are applied. With {@code
     * producer}, first waits until one marker second (sequence 1) is applied, so the consumer is assigned, then
     * times from running {@code producer} (which produces sequences 2..) on.
     */
    private Run consume(String topic, String group, long expected, ThrowingRunnable producer) throws Exception {
        Path dir = Files.createTempDirectory(work, "store-" + group);
        AppliedFeed feed = new AppliedFeed();
        AtomicLong applied = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        AtomicLong firstWrite = new AtomicLong();
        AtomicLong lastWrite = new AtomicLong();
        long target = producer == null ? expected : expected + HOSTS;
        CountDownLatch marker = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        feed.subscribe(batches -> {
            long now = System.nanoTime();
            firstWrite.compareAndSet(0, now);
            writes.incrementAndGet();
            long n = applied.addAndGet(batches.size());
            if (n >= HOSTS) {
                marker.countDown();
            }
            if (n >= target) {
                lastWrite.set(now);
                done.countDown();
            }
        });
        KafkaIngestConfig config = KafkaIngestConfig.of(kafka.bootstrapServers()).withTopic(topic).withGroupId(group)
                .withMaxPollRecords(maxPollRecords).withExtraProperties(consumerProperties());
        try (Store store = Store.open(dir, StoreOptions.defaults().withRollup(rollup))) {
            long start = System.nanoTime();
            long writesBefore = 0;
            long appliedBefore = 0;
            try (KafkaIngest ingest = KafkaIngest.start(config, store, feed)) {
                Thread produce = null;
                if (producer != null) {
                    produce(topic, 1, 1);
                    await(marker, "the marker second");
                    writesBefore = writes.get();
                    appliedBefore = applied.get();
                    start = System.nanoTime();
                    produce = new Thread(() -> {
                        try {
                            producer.run();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }, "bench-producer");
                    produce.start();
                }
                await(done, "all " + target + " batches");
                if (produce != null) {
                    produce.join();
                }
                KafkaIngestStats s = ingest.stats();
                for (long until = System.nanoTime() + STATS_GRACE_NANOS; s.applied() < target
                        && System.nanoTime() < until; s = ingest.stats()) {
                    Thread.sleep(1); // the listener runs inside the write, before the ingest counts it
                }
                if (s.applied() != target || s.duplicates() + s.rejected() + s.malformed() + s.failedWrites() != 0) {
                    throw new IllegalStateException("expected exactly " + target + " batches applied: " + s);
                }
            }
            for (int h = 0; h < HOSTS; h++) {
                long last = store.appliedSequence(StoreFixtures.host(h), StoreFixtures.SESSION).orElse(0);
                long want = producer == null ? seconds : seconds + 1;
                if (last != want) {
                    throw new IllegalStateException(StoreFixtures.host(h) + " applied up to " + last + ", not " + want);
                }
            }
            long first = producer == null ? firstWrite.get() : start;
            return new Run(target - appliedBefore, lastWrite.get() - start, lastWrite.get() - first,
                    writes.get() - writesBefore);
        } finally {
            StoreFixtures.delete(dir);
        }
    }

    /** Parses and applies {@code wire} in groups of {@code size}, as the consumer would with that poll size. */
    private Run storeAlone(List<byte[]> wire, int size) throws Exception {
        Path dir = Files.createTempDirectory(work, "store-alone");
        try (Store store = Store.open(dir, StoreOptions.defaults().withRollup(rollup))) {
            long writes = 0;
            long start = System.nanoTime();
            for (int i = 0; i < wire.size(); i += size) {
                List<Batch> group = new ArrayList<>(size);
                for (byte[] b : wire.subList(i, Math.min(wire.size(), i + size))) {
                    group.add(Batch.parseFrom(b));
                }
                for (ApplyResult r : store.applyAll(group, Map.of())) {
                    if (r.status() != AckStatus.ACK_STATUS_APPLIED) {
                        throw new IllegalStateException("not applied: " + r);
                    }
                }
                writes++;
            }
            long nanos = System.nanoTime() - start;
            return new Run(wire.size(), nanos, nanos, writes);
        } finally {
            StoreFixtures.delete(dir);
        }
    }

    /**
     * Produces seconds {@code from..to} of the fleet to {@code topic} through {@code producers} agent transports
     * (each carrying the batches of every {@code producers}-th host), and waits until Kafka has acknowledged them.
     */
    private void produce(String topic, long from, long to) throws Exception {
        int perTransport = (int) ((to - from + 1) * ((HOSTS + producers - 1) / producers));
        TransportSettings settings = TransportSettings.defaults().withIntakeCapacity(perTransport);
        List<KafkaTransport> transports = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try {
            for (int p = 0; p < producers; p++) {
                Path spool = Files.createTempDirectory(work, "spool-" + topic + "-" + p);
                transports.add(KafkaTransport.connect(KafkaTransportConfig.of(kafka.bootstrapServers()).withTopic(topic),
                        Spool.open(SpoolConfig.of(spool, 1L << 30)), settings));
            }
            for (int p = 0; p < producers; p++) {
                KafkaTransport transport = transports.get(p);
                int first = p;
                Thread t = new Thread(() -> {
                    for (long s = from; s <= to; s++) {
                        for (int h = first; h < HOSTS; h += producers) {
                            transport.submit(batch(h, s));
                        }
                    }
                    transport.flush(DEADLINE);
                }, "bench-transport-" + p);
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                t.join();
            }
            for (KafkaTransport transport : transports) {
                TransportStats s = transport.stats();
                if (s.intakeDropped() + s.rejected() != 0 || s.spool().batches() != 0) {
                    throw new IllegalStateException("not every batch reached Kafka: " + s);
                }
            }
        } finally {
            transports.forEach(KafkaTransport::close);
        }
    }

    /** Consumer settings given as {@code -Dconsumer.NAME=VALUE} (to try fetch sizes, for one). */
    private static Map<String, String> consumerProperties() {
        Map<String, String> out = new TreeMap<>();
        System.getProperties().forEach((k, v) -> {
            if (k.toString().startsWith(CONSUMER_PREFIX)) {
                out.put(k.toString().substring(CONSUMER_PREFIX.length()), v.toString());
            }
        });
        return out;
    }

    private long endOffsets(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                parts.add(new TopicPartition(topic, i));
            }
            return c.endOffsets(parts, Duration.ofSeconds(30)).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * Creates a topic with {@code -Dsegment.bytes} log segments (default 1 GiB, Kafka's own default: the test
     * broker's 1 MiB default would cap every partition's fetch at one small segment), and waits until its partitions
     * answer.
     */
    private void createTopic(String topic) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(Map.of(
                    TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(segmentBytes))))).all().get(30, TimeUnit.SECONDS);
        }
        checkEndOffsets(topic, 0);
    }

    private void checkEndOffsets(String topic, long expected) {
        long n = endOffsets(topic);
        if (n != expected) {
            throw new IllegalStateException("topic " + topic + " holds " + n + " records, not " + expected);
        }
    }

    private static void await(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(what + " not applied within " + DEADLINE);
        }
    }

    private static double secondsSince(long t) {
        return (System.nanoTime() - t) / 1e9;
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
