package org.fleettap.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.helm.Chart.values;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the chart renders: the agents' privileges and mounts, the collector's store, ports and Service, and the
 * security of both (TLS Secrets or insecure, the agents' policy, Kafka's client properties).
 */
class ChartRenderTest {
    private static final String AGENT = "prod-fleettap-agent";
    private static final String COLLECTOR = "prod-fleettap-collector";

    @TempDir
    Path dir;

    /** The chart rendered with both TLS Secrets set and these values. */
    private List<Manifest> render(Object... pathsAndValues) {
        return Chart.render(dir, Chart.secureValues(pathsAndValues));
    }

    private Manifest agent(Object... pathsAndValues) {
        return Chart.find(render(pathsAndValues), "DaemonSet", AGENT);
    }

    private Manifest collector(Object... pathsAndValues) {
        return Chart.find(render(pathsAndValues), "StatefulSet", COLLECTOR);
    }

    @Test
    void theDefaultsRenderTheAgentsTheCollectorAndItsTwoServices() {
        List<Manifest> all = render();
        assertThat(all).extracting(m -> m.kind() + " " + m.name()).containsExactlyInAnyOrder(
                "DaemonSet prod-fleettap-agent",
                "StatefulSet prod-fleettap-collector",
                "Service prod-fleettap-collector",
                "Service prod-fleettap-collector-headless");
        assertThat(all).allSatisfy(m -> assertThat(Chart.cast(m.yaml().get("metadata")).get("namespace"))
                .isEqualTo("tracing"));
    }

    @Test
    void theAgentIsPrivilegedInTheNodesPidNamespaceOnEveryNode() {
        Manifest agent = agent();
        assertThat(agent.podSpec().get("hostPID")).isEqualTo(true);
        assertThat(agent.podSpec().get("hostNetwork")).isNull();
        assertThat(agent.container("agent").get("securityContext")).isEqualTo(Map.of("privileged", true,
                "runAsUser", 0));
        assertThat(agent.podSpec().get("tolerations")).isEqualTo(List.of(Map.of("operator", "Exists")));
        assertThat(agent.podSpec().get("nodeSelector")).isNull();
        assertThat(agent.container("agent").get("image")).isEqualTo("fleettap:0.1.0");
        assertThat(agent.container("agent").get("command")).isEqualTo(List.of("fleettap"));
        assertThat(agent.container("agent").get("env")).isEqualTo(List.of(Map.of("name", "HOST_ID", "valueFrom",
                Map.of("fieldRef", Map.of("fieldPath", "spec.nodeName")))));
    }

    @Test
    void theAgentMountsTracefsDebugfsTheHostsProcDebugFilesAndItsState() {
        Manifest agent = agent();
        assertThat(agent.volumeMounts("agent")).containsExactly(
                Map.of("name", "tracing", "mountPath", "/sys/kernel/tracing", "mountPropagation", "HostToContainer"),
                Map.of("name", "debugfs", "mountPath", "/sys/kernel/debug", "mountPropagation", "HostToContainer"),
                Map.of("name", "host-proc", "mountPath", "/host/proc", "readOnly", true),
                Map.of("name", "debuginfo", "mountPath", "/usr/lib/debug", "readOnly", true),
                Map.of("name", "state", "mountPath", "/var/lib/fleettap"),
                Map.of("name", "tmp", "mountPath", "/tmp"),
                Map.of("name", "tls", "mountPath", "/etc/fleettap/tls", "readOnly", true));
        assertThat(agent.volume("tracing")).contains(hostPath("tracing", "/sys/kernel/tracing", "Directory"));
        assertThat(agent.volume("debugfs")).contains(hostPath("debugfs", "/sys/kernel/debug", "Directory"));
        assertThat(agent.volume("host-proc")).contains(hostPath("host-proc", "/proc", "Directory"));
        assertThat(agent.volume("debuginfo")).contains(hostPath("debuginfo", "/usr/lib/debug", "DirectoryOrCreate"));
        assertThat(agent.volume("state")).contains(hostPath("state", "/var/lib/fleettap", "DirectoryOrCreate"));
        assertThat(agent.volume("tmp")).contains(Map.of("name", "tmp", "emptyDir", Map.of()));
        assertThat(agent.volume("tls")).contains(Map.of("name", "tls", "secret",
                Map.of("secretName", "fleettap-agent-tls", "defaultMode", 0400)));
        assertThat(Chart.list(agent.podSpec().get("volumes"))).hasSize(7);
    }

    @Test
    void theAgentsArgumentsNameTheCollectorServiceTheNodeAndTheStateVolume() {
        assertThat(agent().args("agent")).containsExactly(
                "agent",
                "--collector=prod-fleettap-collector.tracing.svc:7420",
                "--host-id=$(HOST_ID)",
                "--spool=/var/lib/fleettap/spool",
                "--state=/var/lib/fleettap/state",
                "--tls-dir=/etc/fleettap/tls");
    }

    @Test
    void agentValuesBecomeTheirFlags() {
        Manifest agent = agent("agent.labels", Map.of("zone", "eu-1", "role", "db"),
                "agent.collectorAddress", "collector.example:7000",
                "agent.spoolMax", "64MiB",
                "agent.verbose", true,
                "agent.javaOpts", "-Xmx512m");
        // Labels sorted by key, as Helm ranges over a map.
        assertThat(agent.args("agent")).containsExactly(
                "agent",
                "--collector=collector.example:7000",
                "--host-id=$(HOST_ID)",
                "--labels=role=db,zone=eu-1",
                "--spool=/var/lib/fleettap/spool",
                "--state=/var/lib/fleettap/state",
                "--spool-max=64MiB",
                "--tls-dir=/etc/fleettap/tls",
                "--verbose");
        assertThat(Chart.list(agent.container("agent").get("env"))).element(1)
                .isEqualTo(Map.of("name", "FLEETTAP_JAVA_OPTS", "value", "-Xmx512m"));
    }

    @Test
    void anEmptyDirStateLeavesTheNodesDiskAlone() {
        Manifest agent = agent("agent.storage.type", "emptyDir");
        assertThat(agent.volume("state")).contains(Map.of("name", "state", "emptyDir", Map.of()));
    }

    @Test
    void schedulingValuesReplaceTheDefaultsAndResourcesMergeWithThem() {
        List<Map<String, Object>> onlyGpuNodes = List.of(Map.of("key", "gpu", "operator", "Equal", "value", "yes",
                "effect", "NoSchedule"));
        Manifest agent = agent("agent.tolerations", onlyGpuNodes, "agent.nodeSelector", Map.of("tracing", "on"),
                "agent.priorityClassName", "system-node-critical",
                "agent.resources", Map.of("limits", Map.of("cpu", "2", "memory", "3Gi")));
        assertThat(agent.podSpec().get("tolerations")).isEqualTo(onlyGpuNodes);
        assertThat(agent.podSpec().get("nodeSelector")).isEqualTo(Map.of("tracing", "on"));
        assertThat(agent.podSpec().get("priorityClassName")).isEqualTo("system-node-critical");
        // Helm merges maps: the limits given replace the default limit, the default requests stay.
        assertThat(agent.container("agent").get("resources")).isEqualTo(Map.of(
                "limits", Map.of("cpu", "2", "memory", "3Gi"),
                "requests", Map.of("cpu", "100m", "memory", "256Mi")));
    }

    @Test
    void theCollectorKeepsItsStoreOnAPersistentVolumeClaim() {
        Manifest collector = collector();
        assertThat(collector.spec().get("replicas")).isEqualTo(1);
        assertThat(collector.spec().get("serviceName")).isEqualTo("prod-fleettap-collector-headless");
        assertThat(collector.spec().get("volumeClaimTemplates")).isEqualTo(List.of(Map.of(
                "metadata", Map.of("name", "data", "labels", Map.of("app.kubernetes.io/name", "fleettap",
                        "app.kubernetes.io/instance", "prod", "app.kubernetes.io/component", "collector")),
                "spec", Map.of("accessModes", List.of("ReadWriteOnce"),
                        "resources", Map.of("requests", Map.of("storage", "10Gi"))))));
        assertThat(collector.volumeMounts("collector")).containsExactly(
                Map.of("name", "data", "mountPath", "/var/lib/fleettap"),
                Map.of("name", "tmp", "mountPath", "/tmp"),
                Map.of("name", "tls", "mountPath", "/etc/fleettap/tls", "readOnly", true));
        assertThat(collector.args("collector")).containsExactlyElementsOf(collectorArgs("--tls-dir=/etc/fleettap/tls"));
        assertThat(collector.container("collector").get("command")).isEqualTo(List.of("fleettap"));
        Map<String, Object> security = Chart.cast(collector.container("collector").get("securityContext"));
        assertThat(security.get("allowPrivilegeEscalation")).isEqualTo(false);
        assertThat(security.get("readOnlyRootFilesystem")).isEqualTo(true);
        assertThat(Chart.cast(collector.podSpec().get("securityContext")).get("runAsNonRoot")).isEqualTo(true);
    }

    @Test
    void collectorValuesBecomeTheirFlags() {
        Manifest collector = collector("collector.hostLostAfter", "45s", "collector.verbose", true,
                "collector.javaOpts", "-Xmx2g");
        assertThat(collector.args("collector")).containsExactlyElementsOf(collectorArgs(
                "--host-lost-after=45s", "--tls-dir=/etc/fleettap/tls", "--verbose"));
        assertThat(collector.container("collector").get("env")).isEqualTo(List.of(Map.of("name",
                "FLEETTAP_JAVA_OPTS", "value", "-Xmx2g")));
        assertThat(collector().container("collector").get("env")).isNull();
    }

    @Test
    void theStoresVolumeTakesItsSizeAndClass() {
        Manifest collector = collector("collector.persistence.size", "200Gi",
                "collector.persistence.storageClassName", "fast-ssd");
        Map<String, Object> claim = Chart.cast(Chart.list(collector.spec().get("volumeClaimTemplates")).get(0));
        assertThat(claim.get("spec")).isEqualTo(Map.of("accessModes", List.of("ReadWriteOnce"),
                "storageClassName", "fast-ssd", "resources", Map.of("requests", Map.of("storage", "200Gi"))));
    }

    @Test
    void theCollectorsPortIsItsListenAddressItsProbesAndItsService() {
        List<Manifest> all = render("collector.port", 9000);
        Manifest collector = Chart.find(all, "StatefulSet", COLLECTOR);
        assertThat(collector.args("collector")).contains("--listen=0.0.0.0:9000");
        assertThat(collector.container("collector").get("ports")).isEqualTo(List.of(Map.of("name", "grpc",
                "containerPort", 9000, "protocol", "TCP")));
        // No grpc.health.v1 service in the collector: the probes connect to the port.
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            assertThat(Chart.cast(collector.container("collector").get(probe)).get("tcpSocket")).as(probe)
                    .isEqualTo(Map.of("port", "grpc"));
        }
        Manifest service = Chart.find(all, "Service", COLLECTOR);
        assertThat(service.spec().get("type")).isEqualTo("ClusterIP");
        assertThat(service.spec().get("ports")).isEqualTo(List.of(Map.of("name", "grpc", "port", 9000,
                "targetPort", "grpc", "protocol", "TCP", "appProtocol", "grpc")));
        // The Service selects the collector's pods and nothing else (the agents carry another component).
        assertThat(collector.podLabels()).containsAllEntriesOf(Chart.cast(service.spec().get("selector")));
        assertThat(Chart.find(all, "DaemonSet", AGENT).podLabels())
                .doesNotContainEntry("app.kubernetes.io/component", "collector");
        Manifest headless = Chart.find(all, "Service", "prod-fleettap-collector-headless");
        assertThat(headless.spec().get("clusterIP")).isEqualTo("None");
        assertThat(headless.spec().get("selector")).isEqualTo(service.spec().get("selector"));
        assertThat(Chart.find(all, "DaemonSet", AGENT).args("agent"))
                .contains("--collector=prod-fleettap-collector.tracing.svc:9000");
    }

    @Test
    void aNodePortServiceTakesItsPort() {
        Manifest service = Chart.find(render("collector.service.type", "NodePort", "collector.service.nodePort",
                30420), "Service", COLLECTOR);
        assertThat(service.spec().get("type")).isEqualTo("NodePort");
        assertThat(Chart.cast(Chart.list(service.spec().get("ports")).get(0)).get("nodePort")).isEqualTo(30420);
    }

    @Test
    void withoutKafkaNoDaemonHasAKafkaFlag() {
        List<Manifest> all = render();
        assertThat(Chart.find(all, "DaemonSet", AGENT).args("agent")).noneMatch(a -> a.startsWith("--kafka"));
        assertThat(Chart.find(all, "StatefulSet", COLLECTOR).args("collector"))
                .noneMatch(a -> a.startsWith("--kafka"));
    }

    @Test
    void aKafkaBootstrapAloneIsTheOnlyKafkaFlag() {
        List<Manifest> all = render("kafka.bootstrap", "kafka-0.kafka:9092,kafka-1.kafka:9092");
        assertThat(Chart.find(all, "DaemonSet", AGENT).args("agent")).filteredOn(a -> a.startsWith("--kafka"))
                .containsExactly("--kafka=kafka-0.kafka:9092,kafka-1.kafka:9092");
        assertThat(Chart.find(all, "StatefulSet", COLLECTOR).args("collector"))
                .filteredOn(a -> a.startsWith("--kafka"))
                .containsExactly("--kafka=kafka-0.kafka:9092,kafka-1.kafka:9092");
    }

    @Test
    void kafkaTopicAndGroupGoToTheDaemonsThatTakeThem() {
        List<Manifest> all = render("kafka.bootstrap", "kafka:9092", "kafka.topic", "fleet.batches",
                "kafka.group", "collector-eu");
        assertThat(Chart.find(all, "DaemonSet", AGENT).args("agent")).containsExactlyElementsOf(agentArgs(
                "--kafka=kafka:9092", "--kafka-topic=fleet.batches", "--tls-dir=/etc/fleettap/tls"));
        assertThat(Chart.find(all, "StatefulSet", COLLECTOR).args("collector")).containsExactlyElementsOf(collectorArgs(
                "--kafka=kafka:9092", "--kafka-topic=fleet.batches", "--kafka-group=collector-eu",
                "--tls-dir=/etc/fleettap/tls"));
    }

    @Test
    void bothDaemonsTalkTlsFromTheirSecretsMountedReadOnly() {
        List<Manifest> all = render();
        Manifest agent = Chart.find(all, "DaemonSet", AGENT);
        Manifest collector = Chart.find(all, "StatefulSet", COLLECTOR);
        Map<String, Object> mount = Map.of("name", "tls", "mountPath", "/etc/fleettap/tls", "readOnly", true);
        assertThat(agent.volumeMounts("agent")).filteredOn(m -> m.get("name").equals("tls")).containsExactly(mount);
        assertThat(collector.volumeMounts("collector")).filteredOn(m -> m.get("name").equals("tls"))
                .containsExactly(mount);
        assertThat(agent.volume("tls")).contains(Map.of("name", "tls", "secret",
                Map.of("secretName", "fleettap-agent-tls", "defaultMode", 0400)));
        assertThat(collector.volume("tls")).contains(Map.of("name", "tls", "secret",
                Map.of("secretName", "fleettap-collector-tls", "defaultMode", 0400)));
        assertThat(agent.args("agent")).filteredOn(a -> a.startsWith("--tls") || a.equals("--insecure"))
                .containsExactly("--tls-dir=/etc/fleettap/tls");
        assertThat(collector.args("collector")).filteredOn(a -> a.startsWith("--tls") || a.equals("--insecure"))
                .containsExactly("--tls-dir=/etc/fleettap/tls");
    }

    @Test
    void theTlsMountPathIsTheTlsDir() {
        List<Manifest> all = render("tls.mountPath", "/run/secrets/fleettap");
        for (Manifest m : List.of(Chart.find(all, "DaemonSet", AGENT), Chart.find(all, "StatefulSet", COLLECTOR))) {
            String container = m.kind().equals("DaemonSet") ? "agent" : "collector";
            assertThat(m.volumeMounts(container)).as(m.name()).contains(Map.of("name", "tls", "mountPath",
                    "/run/secrets/fleettap", "readOnly", true));
            assertThat(m.args(container)).as(m.name()).contains("--tls-dir=/run/secrets/fleettap");
        }
    }

    @Test
    void insecurePassesInsecureToBothDaemonsAndMountsNoTlsSecret() {
        List<Manifest> all = Chart.render(dir, values("insecure", true));
        Manifest agent = Chart.find(all, "DaemonSet", AGENT);
        Manifest collector = Chart.find(all, "StatefulSet", COLLECTOR);
        assertThat(agent.args("agent")).containsExactlyElementsOf(agentArgs("--insecure"));
        assertThat(collector.args("collector")).containsExactlyElementsOf(collectorArgs("--insecure"));
        assertThat(agent.volume("tls")).isEmpty();
        assertThat(collector.volume("tls")).isEmpty();
        assertThat(agent.volumeMounts("agent")).noneMatch(m -> m.get("name").equals("tls"));
        assertThat(collector.volumeMounts("collector")).noneMatch(m -> m.get("name").equals("tls"));
    }

    @Test
    void aPolicyBecomesAConfigMapMountedIntoTheAgentsAndPassedAsPolicy() {
        String policy = "binaries: [\"/usr/sbin/mydb\", \"/opt/app/**\"]\nkernel_probes: false\n"
                + "max_events_per_second: 1000000\n";
        List<Manifest> all = render("agent.policy", policy);
        Manifest configMap = Chart.find(all, "ConfigMap", "prod-fleettap-agent-policy");
        // The file byte for byte: the agent's errors name its lines and columns.
        assertThat(configMap.yaml().get("data")).isEqualTo(Map.of("policy.yaml", policy));
        assertThat(Chart.cast(configMap.yaml().get("metadata")).get("namespace")).isEqualTo("tracing");
        Manifest agent = Chart.find(all, "DaemonSet", AGENT);
        assertThat(agent.args("agent")).containsExactlyElementsOf(agentArgs(
                "--policy=/etc/fleettap/policy/policy.yaml", "--tls-dir=/etc/fleettap/tls"));
        assertThat(agent.volumeMounts("agent")).filteredOn(m -> m.get("name").equals("policy"))
                .containsExactly(Map.of("name", "policy", "mountPath", "/etc/fleettap/policy", "readOnly", true));
        assertThat(agent.volume("policy")).contains(Map.of("name", "policy", "configMap", Map.of(
                "name", "prod-fleettap-agent-policy",
                "items", List.of(Map.of("key", "policy.yaml", "path", "policy.yaml")))));
        // A changed policy changes the pod template, so the agents restart and read it.
        assertThat(agent.podAnnotations()).isEqualTo(Map.of("checksum/policy", sha256(policy)));
        // The collector has no say in it: nothing of the policy reaches its pod.
        Manifest collector = Chart.find(all, "StatefulSet", COLLECTOR);
        assertThat(collector.args("collector")).noneMatch(a -> a.startsWith("--policy"));
        assertThat(collector.volume("policy")).isEmpty();
        assertThat(collector.podAnnotations()).isNull();
    }

    @Test
    void anExistingPolicyConfigMapIsMountedAndNoneIsRendered() {
        List<Manifest> all = render("agent.existingPolicyConfigMap", "node-policy",
                "agent.podAnnotations", Map.of("team", "tracing"));
        assertThat(all).noneMatch(m -> m.kind().equals("ConfigMap"));
        Manifest agent = Chart.find(all, "DaemonSet", AGENT);
        assertThat(agent.args("agent")).contains("--policy=/etc/fleettap/policy/policy.yaml");
        assertThat(agent.volume("policy")).contains(Map.of("name", "policy", "configMap", Map.of(
                "name", "node-policy",
                "items", List.of(Map.of("key", "policy.yaml", "path", "policy.yaml")))));
        assertThat(agent.podAnnotations()).isEqualTo(Map.of("team", "tracing"));
    }

    @Test
    void withoutAPolicyTheAgentHasNoPolicyFlagNorVolume() {
        List<Manifest> all = render();
        Manifest agent = Chart.find(all, "DaemonSet", AGENT);
        assertThat(agent.args("agent")).noneMatch(a -> a.startsWith("--policy"));
        assertThat(agent.volume("policy")).isEmpty();
        assertThat(agent.podAnnotations()).isNull();
        assertThat(all).noneMatch(m -> m.kind().equals("ConfigMap") || m.kind().equals("Secret"));
    }

    @Test
    void kafkaConfigBecomesAPropertiesFileInASecretForBothDaemons() {
        List<Manifest> all = render("kafka.bootstrap", "kafka:9093", "kafka.config", Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"fleettap\" password=\"s3cr\\et\";",
                "ssl.truststore.type", "PEM",
                "ssl.truststore.certificates", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"),
                "agent.podAnnotations", Map.of("team", "tracing"));
        Manifest secret = Chart.find(all, "Secret", "prod-fleettap-kafka-config");
        assertThat(secret.yaml().get("type")).isEqualTo("Opaque");
        String properties = """
                # Kafka client properties for the fleettap daemons (--kafka-config), from the chart's kafka.config.
                sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
                username="fleettap" password="s3cr\\\\et";
                sasl.mechanism=SCRAM-SHA-512
                security.protocol=SASL_SSL
                ssl.truststore.certificates=-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----
                ssl.truststore.type=PEM""";
        assertThat(secret.yaml().get("stringData")).isEqualTo(Map.of("kafka.properties", properties));
        Manifest agent = Chart.find(all, "DaemonSet", AGENT);
        Manifest collector = Chart.find(all, "StatefulSet", COLLECTOR);
        assertThat(agent.args("agent")).containsExactlyElementsOf(agentArgs(
                "--kafka=kafka:9093", "--kafka-config=/etc/fleettap/kafka/kafka.properties",
                "--tls-dir=/etc/fleettap/tls"));
        assertThat(collector.args("collector")).containsExactlyElementsOf(collectorArgs(
                "--kafka=kafka:9093", "--kafka-config=/etc/fleettap/kafka/kafka.properties",
                "--tls-dir=/etc/fleettap/tls"));
        Map<String, Object> mount = Map.of("name", "kafka-config", "mountPath", "/etc/fleettap/kafka",
                "readOnly", true);
        Map<String, Object> volume = Map.of("name", "kafka-config", "secret", Map.of(
                "secretName", "prod-fleettap-kafka-config", "defaultMode", 0400));
        assertThat(agent.volumeMounts("agent")).contains(mount);
        assertThat(collector.volumeMounts("collector")).contains(mount);
        assertThat(agent.volume("kafka-config")).contains(volume);
        assertThat(collector.volume("kafka-config")).contains(volume);
        // Changed properties restart both daemons, which read them at start.
        assertThat(agent.podAnnotations()).isEqualTo(Map.of("checksum/kafka-config", sha256(properties),
                "team", "tracing"));
        assertThat(collector.podAnnotations()).isEqualTo(Map.of("checksum/kafka-config", sha256(properties)));
    }

    @Test
    void anExistingKafkaConfigSecretIsMountedWholeAndNoneIsRendered() {
        List<Manifest> all = render("kafka.bootstrap", "kafka:9093", "kafka.existingConfigSecret", "kafka-client");
        assertThat(all).noneMatch(m -> m.kind().equals("Secret"));
        for (Manifest m : List.of(Chart.find(all, "DaemonSet", AGENT), Chart.find(all, "StatefulSet", COLLECTOR))) {
            String container = m.kind().equals("DaemonSet") ? "agent" : "collector";
            assertThat(m.args(container)).as(m.name()).contains("--kafka-config=/etc/fleettap/kafka/kafka.properties");
            // No items: the Secret's other keys (a truststore) are files beside kafka.properties.
            assertThat(m.volume("kafka-config")).as(m.name()).contains(Map.of("name", "kafka-config", "secret",
                    Map.of("secretName", "kafka-client", "defaultMode", 0400)));
            assertThat(m.podAnnotations()).as(m.name()).isNull();
        }
    }

    @Test
    void withoutKafkaConfigNoDaemonHasAKafkaConfig() {
        List<Manifest> all = render("kafka.bootstrap", "kafka:9092");
        for (Manifest m : List.of(Chart.find(all, "DaemonSet", AGENT), Chart.find(all, "StatefulSet", COLLECTOR))) {
            String container = m.kind().equals("DaemonSet") ? "agent" : "collector";
            assertThat(m.args(container)).as(m.name()).noneMatch(a -> a.startsWith("--kafka-config"));
            assertThat(m.volume("kafka-config")).as(m.name()).isEmpty();
        }
    }

    @Test
    void theImageComesFromItsValues() {
        List<Manifest> all = render("image.repository", "registry.example/fleettap", "image.tag", "0.2.0",
                "image.pullPolicy", "Always", "imagePullSecrets", List.of("regcred"));
        for (Manifest m : List.of(Chart.find(all, "DaemonSet", AGENT), Chart.find(all, "StatefulSet", COLLECTOR))) {
            Map<String, Object> c = Chart.cast(Chart.list(m.podSpec().get("containers")).get(0));
            assertThat(c.get("image")).as(m.name()).isEqualTo("registry.example/fleettap:0.2.0");
            assertThat(c.get("imagePullPolicy")).as(m.name()).isEqualTo("Always");
            assertThat(m.podSpec().get("imagePullSecrets")).as(m.name()).isEqualTo(List.of(Map.of("name",
                    "regcred")));
        }
    }

    @Test
    void theNotesShowHowToReachTheCollectorAndTheFirstCommandsOverTls() {
        String notes = Chart.notes(dir, Chart.secureValues("collector.port", 9000));
        assertThat(notes).startsWith("fleettap 0.1.0 is installed as release prod in namespace tracing:\n");
        assertThat(notes).contains("\n  - gRPC over TLS with client certificates: the collector's from Secret "
                + "fleettap-collector-tls, the agents' from Secret fleettap-agent-tls;\n");
        assertThat(notes).contains("\n  kubectl --namespace tracing port-forward service/prod-fleettap-collector "
                + "9000:9000\n");
        assertThat(notes).contains("\n  kubectl --namespace tracing logs daemonset/prod-fleettap-agent\n");
        assertThat(notes).doesNotContain("Kafka").doesNotContain("WARNING").doesNotContain("policy");
        // ChartDaemonsIT runs these against the daemons the chart renders, with certs/user-admin made by
        // 'fleettap certs'.
        assertThat(NotesCommands.parse(notes)).containsExactly(
                List.of("hosts", "--collector", "127.0.0.1:9000", "--tls-dir", "certs/user-admin"),
                List.of("run", "--collector", "127.0.0.1:9000", "--tls-dir", "certs/user-admin", "--duration", "10s",
                        "-e", "global opens\n    probe syscall.openat { opens++ }"),
                List.of("query", "--collector", "127.0.0.1:9000", "--tls-dir", "certs/user-admin", "--session",
                        "SESSION_ID", "opens"),
                List.of("sessions", "--collector", "127.0.0.1:9000", "--tls-dir", "certs/user-admin"));
    }

    @Test
    void insecureNotesStartWithAWarningAndTheCommandsUseInsecure() {
        String notes = Chart.notes(dir, values("insecure", true));
        assertThat(notes).startsWith("""
                WARNING: insecure=true: the collector and the agents talk plaintext gRPC without authentication \
                (--insecure).
                Anyone who can reach Service prod-fleettap-collector port 7420 can start sessions on every node, \
                whose probes
                run as root there, and read everything they record. For TLS, make Secrets with 'fleettap certs', set
                tls.collectorSecret and tls.agentSecret and unset insecure (see the chart's README).

                fleettap 0.1.0 is installed as release prod in namespace tracing:
                """);
        assertThat(notes).contains("\n  - gRPC in plaintext, without authentication;\n");
        assertThat(NotesCommands.parse(notes)).containsExactly(
                List.of("hosts", "--collector", "127.0.0.1:7420", "--insecure"),
                List.of("run", "--collector", "127.0.0.1:7420", "--insecure", "--duration", "10s", "-e",
                        "global opens\n    probe syscall.openat { opens++ }"),
                List.of("query", "--collector", "127.0.0.1:7420", "--insecure", "--session", "SESSION_ID", "opens"),
                List.of("sessions", "--collector", "127.0.0.1:7420", "--insecure"));
    }

    @Test
    void theNotesNameThePolicyConfigMap() {
        assertThat(Chart.notes(dir, Chart.secureValues("agent.policy", "kernel_probes: false\n")))
                .contains("\n  - the agents hold every session to the policy in ConfigMap "
                        + "prod-fleettap-agent-policy;\n");
        assertThat(Chart.notes(dir, Chart.secureValues("agent.existingPolicyConfigMap", "node-policy")))
                .contains("\n  - the agents hold every session to the policy in ConfigMap node-policy;\n");
    }

    @Test
    void withKafkaTheNotesNameTheBrokersTheTopicAndTheClientProperties() {
        assertThat(Chart.notes(dir, Chart.secureValues("kafka.bootstrap", "kafka:9092", "kafka.topic",
                "fleet.batches"))).contains("\n  - batches go through Kafka at kafka:9092, topic fleet.batches.\n");
        assertThat(Chart.notes(dir, Chart.secureValues("kafka.bootstrap", "kafka:9092")))
                .contains("\n  - batches go through Kafka at kafka:9092, topic fleettap.batches.\n");
        assertThat(Chart.notes(dir, Chart.secureValues("kafka.bootstrap", "kafka:9092", "kafka.existingConfigSecret",
                "kafka-client"))).contains("\n  - batches go through Kafka at kafka:9092, topic fleettap.batches, "
                        + "client properties from Secret kafka-client.\n");
    }

    /** The agent's args the chart always renders (with the default port), then {@code more}. */
    private static List<String> agentArgs(String... more) {
        List<String> args = new ArrayList<>(List.of("agent", "--collector=prod-fleettap-collector.tracing.svc:7420",
                "--host-id=$(HOST_ID)", "--spool=/var/lib/fleettap/spool", "--state=/var/lib/fleettap/state"));
        args.addAll(List.of(more));
        return args;
    }

    /** The collector's args the chart always renders (with the default port), then {@code more}. */
    private static List<String> collectorArgs(String... more) {
        List<String> args = new ArrayList<>(List.of("collector", "--listen=0.0.0.0:7420",
                "--data=/var/lib/fleettap/store"));
        args.addAll(List.of(more));
        return args;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> hostPath(String name, String path, String type) {
        return Map.of("name", name, "hostPath", Map.of("path", path, "type", type));
    }
}
