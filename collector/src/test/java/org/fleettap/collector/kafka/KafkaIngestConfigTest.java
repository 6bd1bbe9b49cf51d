package org.fleettap.collector.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KafkaIngestConfigTest {
    @ParameterizedTest
    @ValueSource(strings = {"enable.auto.commit", "isolation.level", "key.deserializer", "value.deserializer",
        "bootstrap.servers", "group.id", "max.poll.records", "auto.offset.reset"})
    void extraPropertiesCannotChangeWhatExactlyOnceRestsOn(String key) {
        assertThat(KafkaIngestConfig.fixedSettings()).contains(key);
        assertThatThrownBy(() -> KafkaIngestConfig.of("k:9092").withExtraProperties(Map.of(key, "x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Kafka consumer setting " + key + " is set by the collector, not by extraProperties");
    }

    @Test
    void securitySettingsPassThroughToTheConsumer() {
        Properties p = KafkaIngest.consumerProperties(KafkaIngestConfig.of("k:9092").withExtraProperties(Map.of(
                "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512", "ssl.truststore.type", "PEM")));
        assertThat(p).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.type", "PEM").containsEntry("isolation.level", "read_uncommitted")
                .containsEntry("enable.auto.commit", "false").containsEntry("bootstrap.servers", "k:9092");
    }
}
