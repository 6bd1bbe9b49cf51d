package org.fleettap.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fleettap.helm.Chart.values;

import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code helm lint --strict}, and the values the chart refuses: values.schema.json (strict at every level) and the
 * cross-value checks of the templates, each with an error that names the value.
 */
class ChartValuesTest {
    private static final String SCHEMA_ERROR = "values don't meet the specifications of the schema(s) in the "
            + "following chart(s):\nfleettap:\n";

    private static final String NO_TLS = "tls.collectorSecret and tls.agentSecret are empty: the daemons talk TLS "
            + "by default; name Secrets made from 'fleettap certs' (see the chart's README), or set insecure=true for "
            + "plaintext gRPC without authentication";

    @TempDir
    Path dir;

    @Test
    void strictLintIsClean() {
        // Helm lints templates in a mode where 'fail' is only logged: the chart's own values, which name no TLS
        // Secret and are not insecure, lint clean although they neither install nor render (refusedByTemplates).
        LintResult lint = Chart.lintStrict(Chart.DIRECTORY);
        assertThat(lint.isFailed()).as("%s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).containsExactly("[INFO] Chart.yaml: icon is recommended");
    }

    @Test
    void strictLintWithTlsSecretsIsClean() throws IOException {
        LintResult lint = Chart.lintStrict(copyWithValues("  collectorSecret: \"\"\n", "  collectorSecret: c-tls\n",
                "  agentSecret: \"\"\n", "  agentSecret: a-tls\n"));
        assertThat(lint.isFailed()).as("%s", lint.getMessages()).isFalse();
        // Only the one recommendation Helm makes at INFO level: no warnings, no errors.
        assertThat(lint.getMessages()).containsExactly("[INFO] Chart.yaml: icon is recommended");
    }

    @Test
    void strictLintWhenInsecureIsClean() throws IOException {
        LintResult lint = Chart.lintStrict(copyWithValues("\ninsecure: false\n", "\ninsecure: true\n"));
        assertThat(lint.isFailed()).as("%s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).containsExactly("[INFO] Chart.yaml: icon is recommended");
    }

    @Test
    void strictLintFailsAChartWhoseOwnValuesBreakTheSchema() throws IOException {
        LintResult lint = Chart.lintStrict(copyWithValues("stack traces on errors.\n  verbose: false\n",
                "stack traces on errors.\n  verbose: false\n  replicas: 3\n"));
        assertThat(lint.isFailed()).isTrue();
        assertThat(String.join("\n", lint.getMessages())).contains("additional properties 'replicas' not allowed");
    }

    static Stream<Arguments> refusedBySchema() {
        return Stream.of(
                Arguments.of("a misspelt key", values("agent.labelz", Map.of("zone", "eu-1")),
                        "- at '/agent': additional properties 'labelz' not allowed"),
                Arguments.of("an unknown top-level key", values("replicas", 3),
                        "- at '': additional properties 'replicas' not allowed"),
                Arguments.of("a port as a string", values("collector.port", "7420"),
                        "- at '/collector/port': got string, want integer"),
                Arguments.of("a port out of range", values("collector.port", 70000),
                        "- at '/collector/port': maximum: got 70,000, want 65,535"),
                Arguments.of("an unknown pull policy", values("image.pullPolicy", "Sometimes"),
                        "- at '/image/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'"),
                Arguments.of("a label value with a comma", values("agent.labels", Map.of("zone", "eu-1,eu-2")),
                        "- at '/agent/labels/zone': 'eu-1,eu-2' does not match pattern '^[^,\\\\s=]([^,]*[^,\\\\s])?$'"),
                Arguments.of("a label key with a blank", values("agent.labels", Map.of("my zone", "eu-1")),
                        // (the schema library reports a property name's place as '')
                        "- at '': invalid propertyName 'my zone'\n"
                                + "  - at '': 'my zone' does not match pattern '^[A-Za-z0-9][A-Za-z0-9._/-]*$'"),
                Arguments.of("a label value that is a number", values("agent.labels", Map.of("rack", 3)),
                        "- at '/agent/labels/rack': got number, want string"),
                Arguments.of("a spool bound that is not a size", values("agent.spoolMax", "lots"),
                        "- at '/agent/spoolMax': 'lots' does not match pattern "
                                + "'^$|^[0-9]+([KkMmGg]([Ii]?[Bb])?|[Bb])?$'"),
                Arguments.of("a Kafka server without a port", values("kafka.bootstrap", "kafka"),
                        "- at '/kafka/bootstrap': 'kafka' does not match pattern "
                                + "'^$|^([^\\\\s,:]+|\\\\[[0-9A-Fa-f:.]+\\\\]):[0-9]{1,5}(,([^\\\\s,:]+|\\\\[[0-9A-Fa-f:.]+"
                                + "\\\\]):[0-9]{1,5})*$'"),
                Arguments.of("a host-lost time of zero", values("collector.hostLostAfter", "0s"),
                        "- at '/collector/hostLostAfter': '0s' does not match pattern '^$|^0*[1-9][0-9]*(ms|s|m|h)?$'"),
                Arguments.of("an unknown storage type", values("agent.storage.type", "pvc"),
                        "- at '/agent/storage/type': value must be one of 'hostPath', 'emptyDir'"),
                Arguments.of("a toleration with a bad operator",
                        values("agent.tolerations", List.of(Map.of("operator", "Maybe"))),
                        "- at '/agent/tolerations/0/operator': value must be one of 'Exists', 'Equal'"),
                Arguments.of("a resource that is not cpu, memory or storage",
                        values("collector.resources", Map.of("limits", Map.of("gpu", 1))),
                        "- at '/collector/resources/limits': additional properties 'gpu' not allowed"),
                Arguments.of("a relative TLS mount path", values("tls.mountPath", "etc/tls"),
                        "- at '/tls/mountPath': 'etc/tls' does not match pattern '^/.*$'"),
                Arguments.of("insecure as a string", values("insecure", "yes"),
                        "- at '/insecure': got string, want boolean"),
                Arguments.of("a TLS Secret's name in capitals", values("tls.agentSecret", "Agent-TLS"),
                        "- at '/tls/agentSecret': 'Agent-TLS' does not match pattern "
                                + "'^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$'"),
                Arguments.of("a policy as a mapping, not its YAML text",
                        values("agent.policy", Map.of("kernel_probes", false)),
                        "- at '/agent/policy': got object, want string"),
                Arguments.of("a policy ConfigMap's name with an underscore",
                        values("agent.existingPolicyConfigMap", "node_policy"),
                        "- at '/agent/existingPolicyConfigMap': 'node_policy' does not match pattern "
                                + "'^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$'"),
                Arguments.of("a Kafka property that is a number", values("kafka.config", Map.of("linger.ms", 5)),
                        "- at '/kafka/config/linger.ms': got number, want string"),
                Arguments.of("a Kafka property name with a blank",
                        values("kafka.config", Map.of("security protocol", "SSL")),
                        "- at '': invalid propertyName 'security protocol'\n"
                                + "  - at '': 'security protocol' does not match pattern "
                                + "'^[A-Za-z0-9][A-Za-z0-9._-]*$'"),
                Arguments.of("a Kafka config that is a list", values("kafka.config", List.of("security.protocol=SSL")),
                        "- at '/kafka/config': got array, want object"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void refusedBySchema(String what, Map<String, Object> values, String error) {
        assertThatThrownBy(() -> Chart.render(dir, values)).isInstanceOf(IllegalStateException.class)
                .hasMessage(SCHEMA_ERROR + error + "\n");
    }

    static Stream<Arguments> refusedByTemplates() {
        return Stream.of(
                Arguments.of(values(), NO_TLS),
                Arguments.of(values("tls.collectorSecret", "c-tls"),
                        "tls.agentSecret is empty: the daemons talk TLS by default; name Secrets made from "
                                + "'fleettap certs' (see the chart's README), or set insecure=true for plaintext gRPC "
                                + "without authentication"),
                Arguments.of(values("tls.agentSecret", "a-tls"),
                        "tls.collectorSecret is empty: the daemons talk TLS by default; name Secrets made from "
                                + "'fleettap certs' (see the chart's README), or set insecure=true for plaintext gRPC "
                                + "without authentication"),
                Arguments.of(values("insecure", false), NO_TLS),
                Arguments.of(Chart.secureValues("insecure", true),
                        "insecure=true and tls.collectorSecret and tls.agentSecret cannot be used together: unset "
                                + "insecure for TLS with the Secret, or the Secret for plaintext"),
                Arguments.of(values("insecure", true, "tls.agentSecret", "a-tls"),
                        "insecure=true and tls.agentSecret cannot be used together: unset insecure for TLS with the "
                                + "Secret, or the Secret for plaintext"),
                Arguments.of(Chart.secureValues("kafka.config", Map.of("security.protocol", "SSL")),
                        "kafka.config is set but kafka.bootstrap is empty: set kafka.bootstrap (HOST:PORT,...) or "
                                + "unset kafka.config"),
                Arguments.of(Chart.secureValues("kafka.existingConfigSecret", "kafka-client"),
                        "kafka.existingConfigSecret is set but kafka.bootstrap is empty: set kafka.bootstrap "
                                + "(HOST:PORT,...) or unset kafka.existingConfigSecret"),
                Arguments.of(Chart.secureValues("kafka.bootstrap", "kafka:9092", "kafka.existingConfigSecret",
                        "kafka-client", "kafka.config", Map.of("security.protocol", "SSL")),
                        "kafka.config and kafka.existingConfigSecret cannot be used together: give the properties, "
                                + "or the Secret that holds kafka.properties"),
                Arguments.of(Chart.secureValues("agent.policy", "kernel_probes: false\n",
                        "agent.existingPolicyConfigMap", "node-policy"),
                        "agent.policy and agent.existingPolicyConfigMap cannot be used together: give the policy's "
                                + "YAML, or the ConfigMap that holds policy.yaml"),
                Arguments.of(Chart.secureValues("agent.policy", "binaries: [/usr/bin/x\n"),
                        "agent.policy is not a YAML mapping (docs/policy.md): error converting YAML to JSON: yaml: "
                                + "line 1: did not find expected ',' or ']'"),
                Arguments.of(Chart.secureValues("agent.policy", "- /usr/bin/x\n"),
                        "agent.policy is not a YAML mapping (docs/policy.md): error unmarshaling JSON: while "
                                + "decoding JSON: json: cannot unmarshal array into Go value of type "
                                + "map[string]interface {}"),
                Arguments.of(Chart.secureValues("kafka.topic", "fleet.batches"),
                        "kafka.topic is set but kafka.bootstrap is empty: set kafka.bootstrap (HOST:PORT,...) or "
                                + "unset kafka.topic"),
                Arguments.of(Chart.secureValues("kafka.group", "replica-2"),
                        "kafka.group is set but kafka.bootstrap is empty: set kafka.bootstrap (HOST:PORT,...) or "
                                + "unset kafka.group"),
                Arguments.of(Chart.secureValues("agent.storage.hostPath", ""),
                        "agent.storage.hostPath is empty while agent.storage.type is hostPath: name a directory "
                                + "on the node, or use type emptyDir"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource
    void refusedByTemplates(Map<String, Object> values, String error) {
        assertThatThrownBy(() -> Chart.render(dir, values)).isInstanceOf(IllegalStateException.class)
                .message().containsOnlyOnce("): " + error + "\n");
    }

    /**
     * A copy of the chart whose values.yaml has each text given replaced by the next one (each must be there once).
     */
    private Path copyWithValues(String... fromAndTo) throws IOException {
        Path copy = dir.resolve("fleettap");
        copyTree(Chart.DIRECTORY, copy);
        Path valuesFile = copy.resolve("values.yaml");
        String values = Files.readString(valuesFile);
        for (int i = 0; i < fromAndTo.length; i += 2) {
            assertThat(values).containsOnlyOnce(fromAndTo[i]);
            values = values.replace(fromAndTo[i], fromAndTo[i + 1]);
        }
        Files.writeString(valuesFile, values);
        return copy;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
