package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --kafka-config FILE} of {@code agent} and {@code collector}: a file that cannot be used stops the daemon
 * before it starts, with one line naming the file, the line and the key, and exit status 2; the same from
 * FLEETTAP_KAFKA_CONFIG and the YAML key kafka-config.
 */
class KafkaConfigOptionTest {
    private static final String SASL = "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
            + "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"a\" "
            + "password=\"topsecret\";\n";

    @TempDir
    Path dir;

    private record Run(int exit, String stdout, String stderr) {}

    private Run run(Map<String, String> env, String... args) {
        try (Capture c = Capture.install()) {
            int exit = Main.run(env, args);
            return new Run(exit, c.stdout(), c.stderr());
        }
    }

    private Run agent(Map<String, String> env, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("agent", "--collector", "127.0.0.1:1", "--spool",
                dir.resolve("spool").toString(), "--state", dir.resolve("state").toString()));
        args.addAll(List.of(more));
        return run(env, args.toArray(new String[0]));
    }

    private Run collector(Map<String, String> env, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("collector", "--listen", "127.0.0.1:0", "--data",
                dir.resolve("data").toString()));
        args.addAll(List.of(more));
        return run(env, args.toArray(new String[0]));
    }

    private Path file(String text) throws Exception {
        return Files.writeString(dir.resolve("kafka.properties"), text);
    }

    /** Each setting exactly-once delivery rests on is refused by both daemons, naming file, line and key. */
    @ParameterizedTest
    @ValueSource(strings = {"enable.idempotence=false", "acks=1", "transactional.id=t", "isolation.level=read_committed",
        "enable.auto.commit=true", "key.serializer=x", "value.deserializer=x", "auto.offset.reset=latest",
        "max.in.flight.requests.per.connection=9"})
    void settingsExactlyOnceRestsOnAreRefused(String line) throws Exception {
        Path f = file(SASL + line + "\n");
        String key = line.substring(0, line.indexOf('='));
        String why = "fleettap: --kafka-config " + f + ":4: " + key
                + " is set by fleettap (exactly-once delivery rests on it), not by this file";
        Run a = agent(Map.of(), "--kafka", "127.0.0.1:9092", "--kafka-config", f.toString());
        assertThat(a.exit()).isEqualTo(2);
        assertThat(a.stderr()).isEqualTo(why + " (see 'fleettap agent --help')\n");
        assertThat(a.stdout()).isEmpty();
        Run c = collector(Map.of(), "--kafka", "127.0.0.1:9092", "--kafka-config", f.toString());
        assertThat(c.exit()).isEqualTo(2);
        assertThat(c.stderr()).isEqualTo(why + " (see 'fleettap collector --help')\n");
        assertThat(dir.resolve("data")).as("the collector did not start").doesNotExist();
    }

    @Test
    void whatAnOptionGivesPointsToTheOption() throws Exception {
        Path f = file("bootstrap.servers=elsewhere:9092\n");
        assertThat(agent(Map.of(), "--kafka", "k:9092", "--kafka-config", f.toString()).stderr())
                .isEqualTo("fleettap: --kafka-config " + f + ":1: bootstrap.servers is set by fleettap (give it "
                        + "with --kafka), not by this file (see 'fleettap agent --help')\n");
        f = file("# the group\n\ngroup.id=mine\n");
        assertThat(collector(Map.of(), "--kafka", "k:9092", "--kafka-config", f.toString()).stderr())
                .isEqualTo("fleettap: --kafka-config " + f + ":3: group.id is set by fleettap (give it with "
                        + "--kafka-group), not by this file (see 'fleettap collector --help')\n");
    }

    @Test
    void unreadableOrInvalidFilesAreOneLineAndStatus2() throws Exception {
        Path missing = dir.resolve("none.properties");
        Run r = agent(Map.of(), "--kafka", "k:9092", "--kafka-config", missing.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).isEqualTo("fleettap: --kafka-config " + missing
                + ": no such file (see 'fleettap agent --help')\n");

        r = collector(Map.of(), "--kafka", "k:9092", "--kafka-config", dir.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).startsWith("fleettap: --kafka-config " + dir + ": cannot read it (").hasLineCount(1);

        Path f = file("security.protocol=SASL_PLAIN\n");
        r = agent(Map.of(), "--kafka", "k:9092", "--kafka-config", f.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).startsWith("fleettap: --kafka-config " + f + ":1: security.protocol: Invalid value "
                + "SASL_PLAIN for configuration security.protocol: ").hasLineCount(1);

        f = file("a=1\nb=\\uZZZZ\n");
        r = collector(Map.of(), "--kafka", "k:9092", "--kafka-config", f.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).isEqualTo("fleettap: --kafka-config " + f + ":2: Malformed \\uxxxx encoding. "
                + "(see 'fleettap collector --help')\n");

        f = file(SASL);
        r = agent(Map.of(), "--kafka-config", f.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).isEqualTo("fleettap: --kafka-config needs --kafka (see 'fleettap agent --help')\n");
        r = collector(Map.of(), "--kafka-config", f.toString());
        assertThat(r.stderr()).isEqualTo("fleettap: --kafka-config needs --kafka (see 'fleettap collector --help')\n");
    }

    @Test
    void theEnvironmentAndTheConfigFileGiveTheSameSetting() throws Exception {
        Path f = file(SASL + "acks=0\n");
        String why = "fleettap: --kafka-config " + f + ":4: acks is set by fleettap (exactly-once delivery rests "
                + "on it), not by this file (see 'fleettap agent --help')\n";
        Run r = agent(Map.of("FLEETTAP_KAFKA_CONFIG", f.toString()), "--kafka", "k:9092");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).isEqualTo(why);
        Path yaml = Files.writeString(dir.resolve("agent.yaml"), "kafka: k:9092\nkafka-config: " + f + "\n");
        r = agent(Map.of(), "--config", yaml.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).isEqualTo(why);
    }
}
