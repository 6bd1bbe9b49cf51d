package org.fleettap.collector.store;

import java.util.Objects;

/** A Kafka topic partition whose consumer offset the store keeps with the batches read from it. */
public record KafkaPartition(String topic, int partition) {
    public KafkaPartition {
        Objects.requireNonNull(topic, "topic");
        if (topic.isEmpty()) {
            throw new IllegalArgumentException("empty topic");
        }
        if (partition < 0) {
            throw new IllegalArgumentException("negative partition " + partition);
        }
    }
}
