package org.fleettap.agent.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

class KafkaTransportConfigTest {

    @Test
    void deliveryIsIdempotentWithAllReplicasAcknowledging() {
        TransportSettings settings = TransportSettings.defaults().withAckTimeout(Duration.ofSeconds(45));
        Map<String, Object> p = KafkaTransportConfig.of("k1:9092,k2:9092").producerProperties(settings);
        assertThat(p).containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "k1:9092,k2:9092")
                .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true")
                .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
                .containsEntry(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5")
                .containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "45000")
                .containsEntry(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000")
                .containsEntry(ProducerConfig.LINGER_MS_CONFIG, "5")
                .containsEntry(ProducerConfig.CLIENT_ID_CONFIG, "fleettap-agent");
        assertThat(KafkaTransportConfig.of("k:9092").topic()).isEqualTo("fleettap.batches");
    }

    @Test
    void aShortAckTimeoutShortensTheRequestTimeoutToFit() {
        TransportSettings settings = TransportSettings.defaults().withAckTimeout(Duration.ofSeconds(2));
        Map<String, Object> p = KafkaTransportConfig.of("k:9092").producerProperties(settings);
        assertThat(p).containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "2000")
                .containsEntry(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "1995");
    }

    @Test
    void extraPropertiesCannotWeakenDelivery() {
        assertThatThrownBy(() -> KafkaTransportConfig.of("k:9092").withExtraProperties(Map.of("acks", "1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("acks");
        Map<String, Object> p = KafkaTransportConfig.of("k:9092")
                .withExtraProperties(Map.of("security.protocol", "SSL"))
                .producerProperties(TransportSettings.defaults());
        assertThat(p).containsEntry("security.protocol", "SSL");
    }

    @Test
    void invalidSettingsAreRefusedWithTheirName() {
        assertThatThrownBy(() -> KafkaTransportConfig.of(" ")).hasMessageContaining("bootstrapServers");
        assertThatThrownBy(() -> KafkaTransportConfig.of("k:9092").withTopic("no spaces"))
                .hasMessageContaining("'no spaces' is not a valid Kafka topic name");
        assertThatThrownBy(() -> KafkaTransportConfig.of("k:9092").withMaxBlock(Duration.ofMillis(-1)))
                .hasMessageContaining("maxBlock");
    }

    @Test
    void transportSettingsValidate() {
        assertThatThrownBy(() -> TransportSettings.defaults().withMaxUnackedBatches(0))
                .hasMessageContaining("maxUnackedBatches");
        assertThatThrownBy(() -> TransportSettings.defaults().withBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessageContaining("backoff");
        assertThat(TransportSettings.defaults().maxUnackedBatches()).isEqualTo(64);
        assertThat(TransportSettings.defaults().backoffInitial()).isEqualTo(Duration.ofMillis(100));
        assertThat(TransportSettings.defaults().backoffMax()).isEqualTo(Duration.ofSeconds(10));
    }
}
