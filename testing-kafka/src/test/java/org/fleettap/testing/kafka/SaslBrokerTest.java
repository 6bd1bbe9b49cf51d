package org.fleettap.testing.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker whose clients' listener takes SASL/PLAIN: clients with the user's password produce and consume every
 * record, a client with a wrong password is refused by the broker, and the harness itself (readiness, topic
 * creation) authenticates.
 */
class SaslBrokerTest {
    static final String USER = "fleettap";
    static final String PASSWORD = "s3cret-pass";

    @TempDir
    Path dir;

    @Test
    void theUserGetsInAndAWrongPasswordIsRefused() throws Exception {
        BrokerSecurity.SaslPlain sasl = BrokerSecurity.saslPlain(USER, PASSWORD);
        try (KafkaBroker kafka = KafkaBroker.start(dir, sasl)) {
            assertThat(kafka.clientProperties()).containsEntry("security.protocol", "SASL_PLAINTEXT")
                    .containsEntry("sasl.mechanism", "PLAIN");
            assertThat(Files.readString(kafka.directory().resolve("server.properties")))
                    .contains("listeners=SASL_PLAINTEXT://127.0.0.1:" + kafka.bootstrapServers().split(":")[1]
                            + ",CONTROLLER://");
            kafka.createTopic(KafkaBrokerTest.TOPIC, KafkaBrokerTest.PARTITIONS);

            KafkaBrokerTest.sendAndReadEveryRecordOnce(kafka, "sasl-reader");

            Properties wrong = KafkaBrokerTest.producerProperties(kafka);
            wrong.putAll(sasl.clientProperties(USER, "not-the-password"));
            assertThat(KafkaBrokerTest.refusal(wrong)).isInstanceOf(SaslAuthenticationException.class)
                    .hasMessageContaining("Invalid username or password");
            // nothing more arrived
            try (KafkaConsumer<String, String> consumer = KafkaBrokerTest.consumer(kafka, "sasl-recount")) {
                consumer.subscribe(List.of(KafkaBrokerTest.TOPIC));
                assertThat(KafkaBrokerTest.poll(consumer, KafkaBrokerTest.RECORDS))
                        .hasSize(KafkaBrokerTest.RECORDS);
            }
        }
    }

    @Test
    void refusesPasswordsItCannotQuote() {
        assertThatThrownBy(() -> BrokerSecurity.saslPlain(USER, "a\"b"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(BrokerSecurity.saslPlain(USER, PASSWORD).toString()).doesNotContain(PASSWORD);
    }
}
