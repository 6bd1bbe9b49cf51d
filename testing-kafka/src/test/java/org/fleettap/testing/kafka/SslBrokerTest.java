package org.fleettap.testing.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
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

            KafkaBrokerTest.sendAndReadEveryRecordOnce(kafka, "ssl-reader");

            // TLS, but trusting only the JDK's certificate authorities
            Properties untrusting = KafkaBrokerTest.producerProperties(kafka);
            untrusting.remove("ssl.truststore.type");
            untrusting.remove("ssl.truststore.location");
            assertThat(KafkaBrokerTest.refusal(untrusting)).isInstanceOf(SslAuthenticationException.class);
        }
    }
}
