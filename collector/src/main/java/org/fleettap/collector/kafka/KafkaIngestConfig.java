package org.fleettap.collector.kafka;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.fleettap.collector.ingest.IngestServiceImpl;

/**
 * Where {@link KafkaIngest} reads batches from. The settings exactly-once rests on are fixed and
 * {@code extraProperties} cannot set them: no auto commit (offsets live in the store), byte-array deserializers,
 * every record read ({@code isolation.level=read_uncommitted}: the agents' producers use no transactions).
 *
 * @param bootstrapServers Kafka's {@code bootstrap.servers}
 * @param topic the agents' topic (records keyed by host id, values {@code Batch} messages)
 * @param groupId the consumer group; collectors that are replicas of each other each need their own group (each
 *     reads the whole topic into its own store)
 * @param pollTimeout how long one poll waits for records
 * @param maxPollRecords the most records one poll returns, so the most batches one store write holds
 * @param extraProperties any other consumer setting (security, for one)
 * @param maxRecordBytes a record whose value is larger is skipped and counted as oversized, never parsed (default
 *     {@link #DEFAULT_MAX_RECORD_BYTES}, the gRPC ingest's message limit: no agent makes a larger batch)
 */
public record KafkaIngestConfig(String bootstrapServers, String topic, String groupId, Duration pollTimeout,
        int maxPollRecords, Map<String, String> extraProperties, int maxRecordBytes) {
    public static final int DEFAULT_MAX_RECORD_BYTES = IngestServiceImpl.MAX_MESSAGE_BYTES;
    public static final String DEFAULT_TOPIC = "fleettap.batches";
    public static final String DEFAULT_GROUP = "fleettap-collector";
    public static final Duration DEFAULT_POLL_TIMEOUT = Duration.ofMillis(200);
    public static final int DEFAULT_MAX_POLL_RECORDS = 500;
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final Set<String> FIXED = Set.of(
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            ConsumerConfig.GROUP_ID_CONFIG,
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG);

    public KafkaIngestConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(pollTimeout, "pollTimeout");
        extraProperties = Map.copyOf(Objects.requireNonNull(extraProperties, "extraProperties"));
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("Kafka bootstrap servers are empty");
        }
        if (!TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new IllegalArgumentException("'" + topic + "' is not a valid Kafka topic name");
        }
        if (groupId.isBlank()) {
            throw new IllegalArgumentException("Kafka consumer group is empty");
        }
        if (pollTimeout.isNegative() || pollTimeout.isZero()) {
            throw new IllegalArgumentException("Kafka poll timeout must be positive, got " + pollTimeout);
        }
        if (maxPollRecords < 1) {
            throw new IllegalArgumentException("Kafka maxPollRecords must be at least 1, got " + maxPollRecords);
        }
        if (maxRecordBytes < 1) {
            throw new IllegalArgumentException("Kafka maxRecordBytes must be at least 1, got " + maxRecordBytes);
        }
        for (String key : extraProperties.keySet()) {
            if (FIXED.contains(key)) {
                throw new IllegalArgumentException("Kafka consumer setting " + key
                        + " is set by the collector, not by extraProperties");
            }
        }
    }

    /**
     * The consumer settings the collector sets itself, which {@code extraProperties} cannot set: exactly-once
     * ingest rests on them, or a field of this record sets them.
     */
    public static Set<String> fixedSettings() {
        return FIXED;
    }

    public static KafkaIngestConfig of(String bootstrapServers) {
        return new KafkaIngestConfig(bootstrapServers, DEFAULT_TOPIC, DEFAULT_GROUP, DEFAULT_POLL_TIMEOUT,
                DEFAULT_MAX_POLL_RECORDS, Map.of(), DEFAULT_MAX_RECORD_BYTES);
    }

    public KafkaIngestConfig withTopic(String t) {
        return new KafkaIngestConfig(bootstrapServers, t, groupId, pollTimeout, maxPollRecords,
                extraProperties, maxRecordBytes);
    }

    public KafkaIngestConfig withGroupId(String g) {
        return new KafkaIngestConfig(bootstrapServers, topic, g, pollTimeout, maxPollRecords,
                extraProperties, maxRecordBytes);
    }

    public KafkaIngestConfig withMaxPollRecords(int n) {
        return new KafkaIngestConfig(bootstrapServers, topic, groupId, pollTimeout, n,
                extraProperties, maxRecordBytes);
    }

    public KafkaIngestConfig withExtraProperties(Map<String, String> props) {
        return new KafkaIngestConfig(bootstrapServers, topic, groupId, pollTimeout, maxPollRecords,
                props, maxRecordBytes);
    }

    public KafkaIngestConfig withMaxRecordBytes(int bytes) {
        return new KafkaIngestConfig(bootstrapServers, topic, groupId, pollTimeout, maxPollRecords, extraProperties,
                bytes);
    }
}
