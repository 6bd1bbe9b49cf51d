package org.fleettap.agent.transport;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Where {@link KafkaTransport} sends, and how its producer is set up. The settings that make
 * delivery safe are fixed, and extraProperties cannot set them or what the other fields set: {@code enable.idempotence=true}, {@code
 * acks=all}, at most 5 requests in flight per connection (so the idempotent producer keeps each
 * partition in order), byte-array serializers, no transactions.
 *
 * @param bootstrapServers Kafka's {@code bootstrap.servers}
 * @param topic the topic batches go to; each record is keyed by the host id, so one host's batches
 *     stay in one partition, in order
 * @param clientId the producer's {@code client.id}
 * @param maxBlock how long sending may block waiting for metadata or buffer space ({@code
 *     max.block.ms})
 * @param linger how long the producer waits to fill a request ({@code linger.ms})
 * @param maxRequestBytes the largest request ({@code max.request.size}); the topic's {@code
 *     max.message.bytes} must also admit the largest batch plus about 100 bytes of record overhead
 * @param extraProperties any other producer setting (security, for one)
 */
public record KafkaTransportConfig(
        String bootstrapServers,
        String topic,
        String clientId,
        Duration maxBlock,
        Duration linger,
        int maxRequestBytes,
        Map<String, String> extraProperties) {
    public static final String DEFAULT_TOPIC = "fleettap.batches";
    public static final String DEFAULT_CLIENT_ID = "fleettap-agent";
    /** While Kafka is unreachable a send blocks this long for metadata, holding up the transport's thread. */
    public static final Duration DEFAULT_MAX_BLOCK = Duration.ofSeconds(2);
    public static final Duration DEFAULT_LINGER = Duration.ofMillis(5);
    /** The largest batch gRPC carries, plus room for the record around it. */
    public static final int DEFAULT_MAX_REQUEST_BYTES = GrpcTransport.MAX_MESSAGE_BYTES + (16 << 10);
    /** Kafka's default request timeout; shortened when the ack timeout is shorter. */
    static final Duration MAX_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final Set<String> FIXED = Set.of(
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            ProducerConfig.ACKS_CONFIG,
            ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
            ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            ProducerConfig.CLIENT_ID_CONFIG,
            ProducerConfig.LINGER_MS_CONFIG,
            ProducerConfig.MAX_BLOCK_MS_CONFIG,
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG);

    public KafkaTransportConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(maxBlock, "maxBlock");
        Objects.requireNonNull(linger, "linger");
        extraProperties = Map.copyOf(Objects.requireNonNull(extraProperties, "extraProperties"));
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("Kafka bootstrapServers is empty");
        }
        if (!TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new IllegalArgumentException("'" + topic + "' is not a valid Kafka topic name");
        }
        if (maxBlock.isNegative() || linger.isNegative()) {
            throw new IllegalArgumentException("Kafka maxBlock and linger must not be negative, got " + maxBlock
                    + " and " + linger);
        }
        if (maxRequestBytes < 1024) {
            throw new IllegalArgumentException("Kafka maxRequestBytes must be at least 1024, got " + maxRequestBytes);
        }
        for (String key : extraProperties.keySet()) {
            if (FIXED.contains(key)) {
                throw new IllegalArgumentException(
                        "Kafka producer setting " + key + " is set by the transport, not by extraProperties");
            }
        }
    }

    /**
     * The producer settings the transport sets itself, which {@code extraProperties} cannot set: safe delivery
     * rests on them, or a field of this record sets them.
     */
    public static Set<String> fixedSettings() {
        return FIXED;
    }

    public static KafkaTransportConfig of(String bootstrapServers) {
        return new KafkaTransportConfig(bootstrapServers, DEFAULT_TOPIC, DEFAULT_CLIENT_ID, DEFAULT_MAX_BLOCK,
                DEFAULT_LINGER, DEFAULT_MAX_REQUEST_BYTES, Map.of());
    }

    public KafkaTransportConfig withTopic(String t) {
        return new KafkaTransportConfig(bootstrapServers, t, clientId, maxBlock, linger, maxRequestBytes,
                extraProperties);
    }

    public KafkaTransportConfig withClientId(String id) {
        return new KafkaTransportConfig(bootstrapServers, topic, id, maxBlock, linger, maxRequestBytes,
                extraProperties);
    }

    public KafkaTransportConfig withMaxBlock(Duration d) {
        return new KafkaTransportConfig(bootstrapServers, topic, clientId, d, linger, maxRequestBytes,
                extraProperties);
    }

    public KafkaTransportConfig withLinger(Duration d) {
        return new KafkaTransportConfig(bootstrapServers, topic, clientId, maxBlock, d, maxRequestBytes,
                extraProperties);
    }

    public KafkaTransportConfig withExtraProperties(Map<String, String> props) {
        return new KafkaTransportConfig(bootstrapServers, topic, clientId, maxBlock, linger, maxRequestBytes, props);
    }

    /**
     * The producer's settings. {@code delivery.timeout.ms} is the transport's ack timeout; {@code
     * request.timeout.ms} is 30 s or less, so that it fits in it with the linger.
     */
    Map<String, Object> producerProperties(TransportSettings settings) {
        long delivery = settings.ackTimeout().toMillis();
        long lingerMs = linger.toMillis();
        long request = Math.max(1, Math.min(MAX_REQUEST_TIMEOUT.toMillis(), delivery - lingerMs));
        if (delivery < lingerMs + request) {
            throw new IllegalArgumentException("ack timeout " + settings.ackTimeout()
                    + " is too short for Kafka: it must exceed the linger of " + linger);
        }
        Map<String, Object> p = new HashMap<>(extraProperties);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(delivery));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(request));
        p.put(ProducerConfig.LINGER_MS_CONFIG, Long.toString(lingerMs));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(maxBlock.toMillis()));
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(maxRequestBytes));
        return p;
    }
}
