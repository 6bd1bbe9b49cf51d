package org.fleettap.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.fleettap.cli.config.KafkaProperties.Setting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KafkaPropertiesTest {
    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "username=\"agent\" password=\"pa55\";";

    private static List<Setting> parse(String text) throws Exception {
        return KafkaProperties.parse("kafka.properties", text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void settingsKeepTheLineTheyStartOn() throws Exception {
        String text = "# security for the fleet's Kafka\n"
                + "security.protocol=SASL_SSL\n"
                + "\n"
                + "   ! another comment \\\n"
                + "sasl.mechanism : PLAIN\n"
                + "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\n"
                + "    username=\"agent\" \\\r\n"
                + "    password=\"pa55\";\n"
                + "ssl.truststore.location /etc/fleettap/kafka/truststore.p12\r\n"
                + "ssl.endpoint.identification.algorithm=\n"
                + "client.rack=eu\\u002d1";
        assertThat(parse(text)).containsExactly(
                new Setting("security.protocol", "SASL_SSL", 2),
                new Setting("sasl.mechanism", "PLAIN", 5),
                new Setting("sasl.jaas.config", JAAS, 6),
                new Setting("ssl.truststore.location", "/etc/fleettap/kafka/truststore.p12", 9),
                new Setting("ssl.endpoint.identification.algorithm", "", 10),
                new Setting("client.rack", "eu-1", 11));
        assertThat(parse("")).isEmpty();
        assertThat(parse("# nothing\n\n")).isEmpty();
    }

    /** Whatever the lines look like, the settings are the ones java.util.Properties reads from the same text. */
    @ParameterizedTest
    @ValueSource(strings = {"a=1\nb:2\nc 3\n", "a = x\\\n  y\\\\\nb=\\u0041\n", "key\\ with\\ space=v\n",
        "a=1\\\n\n#c\nb=2", "a\\=b=c\n", "a=\\\\\\\n z\n", "\tx=\ty \n"})
    void readsWhatPropertiesReads(String text) throws Exception {
        Properties expected = new Properties();
        expected.load(new StringReader(text));
        Map<String, String> read = new LinkedHashMap<>();
        parse(text).forEach(s -> read.put(s.key(), s.value()));
        Map<String, String> want = new LinkedHashMap<>();
        expected.stringPropertyNames().forEach(k -> want.put(k, expected.getProperty(k)));
        assertThat(read).isEqualTo(want);
    }

    @Test
    void malformedFilesAreRefusedNamingFileAndLine() {
        assertThatThrownBy(() -> parse("a=1\nb=\\u12G4\n")).isInstanceOf(ConfigFile.ConfigException.class)
                .hasMessage("kafka.properties:2: Malformed \\uxxxx encoding.");
        assertThatThrownBy(() -> parse("acks=all\nsasl.mechanism=PLAIN\n\\\n  acks=1\n"))
                .hasMessage("kafka.properties:3: acks is set twice (first on line 1)");
        assertThatThrownBy(() -> parse("a=1\n=orphan\n")).hasMessage("kafka.properties:2: a setting without a name");
        assertThatThrownBy(() -> KafkaProperties.parse("kafka.properties", new byte[] {'a', '=', (byte) 0xff}))
                .hasMessage("kafka.properties: not UTF-8 text");
        assertThatThrownBy(() -> KafkaProperties.parse("kafka.properties", new byte[KafkaProperties.MAX_BYTES + 1]))
                .hasMessage("kafka.properties: 1048577 bytes is more than a Kafka client settings file may hold "
                        + "(1048576)");
    }

    @Test
    void describeHidesSecrets() throws Exception {
        List<Setting> settings = parse("security.protocol=SASL_SSL\nsasl.jaas.config=" + JAAS + "\n"
                + "ssl.truststore.password=tpass\nssl.key.password=kpass\n"
                + "listener.name.x.plain.sasl.jaas.config=" + JAAS + "\n"
                + "sasl.oauthbearer.client.credentials.client.secret=csecret\nssl.keystore.key=PEMKEY\n");
        String described = KafkaProperties.describe(settings);
        assertThat(described).isEqualTo("security.protocol=SASL_SSL, sasl.jaas.config=(hidden), "
                + "ssl.truststore.password=(hidden), ssl.key.password=(hidden), "
                + "listener.name.x.plain.sasl.jaas.config=(hidden), "
                + "sasl.oauthbearer.client.credentials.client.secret=(hidden), ssl.keystore.key=(hidden)");
        assertThat(settings.toString()).doesNotContain("pa55", "tpass", "kpass", "csecret", "PEMKEY");
        assertThat(KafkaProperties.isSecret("ssl.truststore.location")).isFalse();
        assertThat(KafkaProperties.isSecret("SSL.KEYSTORE.PASSWORD")).isTrue();
    }
}
