package org.fleettap.collector.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.collector.CollectorTesting.CALLS;
import static org.fleettap.collector.CollectorTesting.SESSION;
import static org.fleettap.collector.CollectorTesting.counted;
import static org.fleettap.collector.CollectorTesting.totalCount;
import static org.fleettap.collector.CollectorTesting.totalSum;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.fleettap.agent.transport.KafkaTransport;
import org.fleettap.agent.transport.KafkaTransportConfig;
import org.fleettap.agent.transport.Spool;
import org.fleettap.agent.transport.SpoolConfig;
import org.fleettap.agent.transport.TransportSettings;
import org.fleettap.collector.Collector;
import org.fleettap.collector.CollectorConfig;
import org.fleettap.collector.CollectorTesting;
import org.fleettap.collector.ingest.AppliedFeed;
import org.fleettap.collector.store.AggregateQuery;
import org.fleettap.collector.store.AggregateResult;
import org.fleettap.collector.store.KafkaPartition;
import org.fleettap.collector.store.Store;
import org.fleettap.collector.store.StoreOptions;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.testing.kafka.KafkaBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents' KafkaTransport → a real Kafka broker (KRaft, child JVM) → KafkaIngest → the store: exact totals, through a
 * broker killed with SIGKILL and restarted, and a consumer replaced mid-topic that reads on exactly from the offsets
 * stored with the data.
 */
class KafkaIngestTest {
    private static final int PARTITIONS = 3;
    private static final List<String> HOSTS = List.of("h1", "h2", "h3");
    private static final TransportSettings SETTINGS = TransportSettings.defaults().withIntakeCapacity(2000)
            .withBackoff(Duration.ofMillis(50), Duration.ofMillis(500)).withAckTimeout(Duration.ofSeconds(10));

    @TempDir
    static Path brokerDir;
    @TempDir
    Path tmp;

    private static KafkaBroker kafka;

    @BeforeAll
    static void startKafka() {
        kafka = KafkaBroker.start(brokerDir);
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void exactTotalsThroughABrokerKillAndAConsumerReplacedMidTopic() throws Exception {
        String topic = "batches-exact";
        kafka.createTopic(topic, PARTITIONS);
        KafkaIngestConfig config = KafkaIngestConfig.of(kafka.bootstrapServers()).withTopic(topic).withGroupId("g1");
        AppliedFeed feed = new AppliedFeed();
        try (Store store = Store.open(tmp.resolve("store"), StoreOptions.defaults())) {
            List<KafkaTransport> agents = new ArrayList<>();
            try {
                for (String h : HOSTS) {
                    agents.add(KafkaTransport.connect(KafkaTransportConfig.of(kafka.bootstrapServers()).withTopic(topic),
                            Spool.open(SpoolConfig.of(tmp.resolve("spool-" + h))), SETTINGS));
                }
                KafkaIngest first = KafkaIngest.start(config, store, feed);

                // 1. The broker is killed with SIGKILL while agents produce, and restarted.
                int n1 = 600;
                Thread producer = produce(agents, 1, n1);
                CollectorTesting.await("100 batches of every host applied", () -> allApplied(store, 100));
                assertThat(producer.isAlive()).as("agents still producing when the broker is killed").isTrue();
                kafka.kill();
                kafka.restart();
                producer.join();
                flush(agents);
                CollectorTesting.await("every batch applied", () -> allApplied(store, n1));
                CollectorTesting.await("the consumer read the whole topic", () -> store.kafkaOffsets()
                        .equals(endOffsets(topic)));
                assertTotals(store, n1);
                long failuresAfterKill = failures(agents);

                // 2. The consumer is closed mid-topic; a new one goes on exactly from the offsets in the store.
                int n2 = 1000;
                producer = produce(agents, n1 + 1, n2);
                CollectorTesting.await("some of the second part applied", () -> allApplied(store, n1 + 50));
                assertThat(producer.isAlive()).as("agents still producing when the consumer is replaced").isTrue();
                first.close();
                Map<KafkaPartition, Long> stored = store.kafkaOffsets();
                KafkaIngest second = KafkaIngest.start(config, store, feed);
                try {
                    producer.join();
                    flush(agents);
                    CollectorTesting.await("every batch applied", () -> allApplied(store, n2));
                    CollectorTesting.await("the consumer read the whole topic", () -> store.kafkaOffsets()
                            .equals(endOffsets(topic)));
                    assertTotals(store, n2);
                    Map<KafkaPartition, Long> end = endOffsets(topic);
                    long remaining = 0;
                    for (Map.Entry<KafkaPartition, Long> e : end.entrySet()) {
                        remaining += e.getValue() - stored.getOrDefault(e.getKey(), 0L);
                    }
                    KafkaIngestStats s = second.stats();
                    assertThat(s.records()).as("records after the stored offsets, each read once: %s", s)
                            .isEqualTo(remaining);
                    assertThat(failures(agents)).as("no resends in the second part").isEqualTo(failuresAfterKill);
                    assertThat(s.duplicates()).as("no batch applied twice: %s", s).isZero();
                    assertThat(s.rejected() + s.malformed() + s.failedWrites()).isZero();
                } finally {
                    second.close();
                }
            } finally {
                agents.forEach(KafkaTransport::close);
            }
        }
    }

    @Test
    void malformedRecordsAreCountedAndSkippedByACollectorReadingKafka() throws Exception {
        String topic = "batches-malformed";
        kafka.createTopic(topic, 1);
        byte[] good = counted("h", SESSION, 3).toByteArray();
        try (Collector c = new Collector(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store"))
                .withKafka(KafkaIngestConfig.of(kafka.bootstrapServers()).withTopic(topic).withGroupId("g2")
                        .withMaxRecordBytes(4096)))
                .start();
                KafkaProducer<byte[], byte[]> producer = producer()) {
            byte[] key = "h".getBytes(StandardCharsets.UTF_8);
            producer.send(new ProducerRecord<>(topic, key, counted("h", SESSION, 1).toByteArray())).get();
            producer.send(new ProducerRecord<>(topic, key, new byte[] {(byte) 0xff, 0x01, 0x02})).get();
            producer.send(new ProducerRecord<>(topic, key, null)).get();
            producer.send(new ProducerRecord<>(topic, key, counted("h", SESSION, 1).toBuilder().setSequence(0).build()
                    .toByteArray())).get();
            producer.send(new ProducerRecord<>(topic, key, counted("h", SESSION, 2).toByteArray())).get();
            producer.send(new ProducerRecord<>(topic, key, counted("h", SESSION, 2).toByteArray())).get();
            // Truncated inside its aggregates, and one over the limit: skipped too, and the good one after them applied.
            producer.send(new ProducerRecord<>(topic, key, java.util.Arrays.copyOf(good, good.length - 3))).get();
            producer.send(new ProducerRecord<>(topic, key, new byte[5000])).get();
            producer.send(new ProducerRecord<>(topic, key, good)).get();
            CollectorTesting.await("nine records read", () -> c.kafkaStats().records() == 9);
            assertThat(c.kafkaStats()).isEqualTo(new KafkaIngestStats(9, 3, 1, 1, 3, 1, 0));
            assertThat(c.store().kafkaOffsets()).isEqualTo(Map.of(new KafkaPartition(topic, 0), 9L));
            assertThat(c.store().appliedSequence("h", SESSION).orElseThrow()).isEqualTo(3);
            AggregateResult r = c.store().aggregates(AggregateQuery.of(SESSION, CALLS)
                    .withGroupBy(GroupBy.GROUP_BY_NONE));
            assertThat(r.rows().get(0).summary().count()).isEqualTo(totalCount(3));
        }
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Submits batches {@code from..to} of every host, about one per host every 2 ms. */
    private static Thread produce(List<KafkaTransport> agents, int from, int to) {
        Thread t = new Thread(() -> {
            for (int seq = from; seq <= to; seq++) {
                for (int i = 0; i < HOSTS.size(); i++) {
                    agents.get(i).submit(counted(HOSTS.get(i), SESSION, seq));
                }
                LockSupport.parkNanos(2_000_000);
            }
        }, "test-producer");
        t.start();
        return t;
    }

    private static void flush(List<KafkaTransport> agents) {
        for (KafkaTransport a : agents) {
            a.flush(Duration.ofSeconds(60));
            assertThat(a.stats().spool().batches()).as("%s", a.stats()).isZero();
            assertThat(a.stats().intakeDropped() + a.stats().rejected()).as("%s", a.stats()).isZero();
        }
    }

    private static long failures(List<KafkaTransport> agents) {
        return agents.stream().mapToLong(a -> a.stats().failures()).sum();
    }

    private static boolean allApplied(Store store, long n) {
        for (String h : HOSTS) {
            if (store.appliedSequence(h, SESSION).orElse(0) < n) {
                return false;
            }
        }
        return true;
    }

    private static void assertTotals(Store store, long n) {
        AggregateResult r = store.aggregates(AggregateQuery.of(SESSION, CALLS).withGroupBy(GroupBy.GROUP_BY_HOST));
        assertThat(r.rows()).hasSize(HOSTS.size());
        for (int i = 0; i < HOSTS.size(); i++) {
            assertThat(r.rows().get(i).host()).isEqualTo(HOSTS.get(i));
            assertThat(r.rows().get(i).summary().count()).as("count of %s", HOSTS.get(i)).isEqualTo(totalCount(n));
            assertThat(r.rows().get(i).summary().sum()).as("sum of %s", HOSTS.get(i)).isEqualTo(totalSum(n));
            assertThat(store.lost(SESSION, HOSTS.get(i)).isEmpty()).isTrue();
        }
    }

    private static Map<KafkaPartition, Long> endOffsets(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (int i = 0; i < PARTITIONS; i++) {
                parts.add(new TopicPartition(topic, i));
            }
            Map<KafkaPartition, Long> out = new HashMap<>();
            c.endOffsets(parts, Duration.ofSeconds(10)).forEach((tp, off) -> {
                if (off > 0) {
                    out.put(new KafkaPartition(tp.topic(), tp.partition()), off);
                }
            });
            return out;
        }
    }
}
