package org.fleettap.testing.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker whose clients' listener is TLS with a certificate made by keytool: clients that trust the certificate
 * (a PEM truststore) produce and consume every record; a client that does not trust it fails its handshake.
 */
class SslBrokerTest {
    @TempDir
    Path dir;

    @Test
    void clientsTrustingTheCertificateGetInAndOthersAreRefused() throws Exception {
        BrokerSecurity.Ssl ssl = BrokerSecurity.ssl(dir.resolve("tls"));
        assertThat(Files.readString(ssl.certificate())).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(ssl.toString()).doesNotContain(ssl.password());
        try (KafkaBroker kafka = KafkaBroker.start(dir, ssl)) {
            assertThat(kafka.clientProperties()).containsEntry("security.protocol", "SSL")
                    .containsEntry("ssl.truststore.type", "PEM");
            kafka.createTopic(KafkaBrokerTest.TOPIC, KafkaBrokerTest.PARTITIONS);

            AtomicReferenceArray<Future<RecordMetadata>> sent = new AtomicReferenceArray<>(KafkaBrokerTest.RECORDS);
            try (KafkaProducer<String, String> producer =
                    new KafkaProducer<>(KafkaBrokerTest.producerProperties(kafka))) {
                for (int i = 0; i < KafkaBrokerTest.RECORDS; i++) {
                    sent.set(i, producer.send(KafkaBrokerTest.record(i)));
                }
                producer.flush();
            }
            assertThat(KafkaBrokerTest.failures(sent, KafkaBrokerTest.RECORDS)).isEmpty();
            KafkaBrokerTest.assertEveryRecordOnceInKeyOrder(KafkaBrokerTest.consumeAll(kafka, "ssl-reader"));

            // TLS, but trusting only the JDK's certificate authorities
            Properties untrusting = KafkaBrokerTest.producerProperties(kafka);
            untrusting.remove("ssl.truststore.type");
            untrusting.remove("ssl.truststore.location");
            untrusting.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(untrusting)) {
                Future<RecordMetadata> refused = producer.send(KafkaBrokerTest.record(0));
                assertThatThrownBy(() -> refused.get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(SslAuthenticationException.class);
            }
        }
    }
}
