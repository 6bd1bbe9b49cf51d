package org.fleettap.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.helm.Chart.values;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the chart renders: the agents' privileges and mounts, the collector's store, ports and Service. */
class ChartRenderTest {
    private static final String AGENT = "prod-fleettap-agent";
    private static final String COLLECTOR = "prod-fleettap-collector";

    @TempDir
    Path dir;

    private List<Manifest> render(Object... pathsAndValues) {
        return Chart.render(dir, values(pathsAndValues));
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
                Map.of("name", "tmp", "mountPath", "/tmp"));
        assertThat(agent.volume("tracing")).contains(hostPath("tracing", "/sys/kernel/tracing", "Directory"));
        assertThat(agent.volume("debugfs")).contains(hostPath("debugfs", "/sys/kernel/debug", "Directory"));
        assertThat(agent.volume("host-proc")).contains(hostPath("host-proc", "/proc", "Directory"));
        assertThat(agent.volume("debuginfo")).contains(hostPath("debuginfo", "/usr/lib/debug", "DirectoryOrCreate"));
        assertThat(agent.volume("state")).contains(hostPath("state", "/var/lib/fleettap", "DirectoryOrCreate"));
        assertThat(agent.volume("tmp")).contains(Map.of("name", "tmp", "emptyDir", Map.of()));
        assertThat(Chart.list(agent.podSpec().get("volumes"))).hasSize(6);
    }

    @Test
    void theAgentsArgumentsNameTheCollectorServiceTheNodeAndTheStateVolume() {
        assertThat(agent().args("agent")).containsExactly(
                "agent",
                "--collector=prod-fleettap-collector.tracing.svc:7420",
                "--host-id=$(HOST_ID)",
                "--spool=/var/lib/fleettap/spool",
                "--state=/var/lib/fleettap/state");
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
                Map.of("name", "tmp", "mountPath", "/tmp"));
        assertThat(collector.args("collector")).containsExactly(
                "collector",
                "--listen=0.0.0.0:7420",
                "--data=/var/lib/fleettap/store");
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
        assertThat(collector.args("collector")).containsExactly(
                "collector",
                "--listen=0.0.0.0:7420",
                "--data=/var/lib/fleettap/store",
                "--host-lost-after=45s",
                "--verbose");
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
        assertThat(Chart.find(all, "DaemonSet", AGENT).args("agent")).containsExactly(
                "agent",
                "--collector=prod-fleettap-collector.tracing.svc:7420",
                "--host-id=$(HOST_ID)",
                "--spool=/var/lib/fleettap/spool",
                "--state=/var/lib/fleettap/state",
                "--kafka=kafka:9092",
                "--kafka-topic=fleet.batches");
        assertThat(Chart.find(all, "StatefulSet", COLLECTOR).args("collector")).containsExactly(
                "collector",
                "--listen=0.0.0.0:7420",
                "--data=/var/lib/fleettap/store",
                "--kafka=kafka:9092",
                "--kafka-topic=fleet.batches",
                "--kafka-group=collector-eu");
    }

    @Test
    void tlsSecretsAreMountedReadOnlyInTheirPodsWithoutAFlag() {
        List<Manifest> all = render("tls.collectorSecret", "fleettap-collector-tls", "tls.agentSecret",
                "fleettap-agent-tls");
        Manifest agent = Chart.find(all, "DaemonSet", AGENT);
        Manifest collector = Chart.find(all, "StatefulSet", COLLECTOR);
        Map<String, Object> mount = Map.of("name", "tls", "mountPath", "/etc/fleettap/tls", "readOnly", true);
        assertThat(agent.volumeMounts("agent")).contains(mount);
        assertThat(collector.volumeMounts("collector")).contains(mount);
        assertThat(agent.volume("tls")).contains(Map.of("name", "tls", "secret",
                Map.of("secretName", "fleettap-agent-tls", "defaultMode", 0400)));
        assertThat(collector.volume("tls")).contains(Map.of("name", "tls", "secret",
                Map.of("secretName", "fleettap-collector-tls", "defaultMode", 0400)));
        // The daemons take no TLS option yet (ChartDaemonsIT checks their --help): the same args as without TLS.
        assertThat(agent.args("agent")).isEqualTo(agent().args("agent"));
        assertThat(collector.args("collector")).isEqualTo(collector().args("collector"));
    }

    @Test
    void withoutTlsSecretsThereIsNoTlsVolume() {
        List<Manifest> all = render();
        assertThat(Chart.find(all, "DaemonSet", AGENT).volume("tls")).isEmpty();
        assertThat(Chart.find(all, "StatefulSet", COLLECTOR).volume("tls")).isEmpty();
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
    void theNotesShowHowToReachTheCollectorAndTheFirstCommands() {
        String notes = Chart.notes(Map.of("collector.port", 9000));
        assertThat(notes).contains("\n  kubectl --namespace tracing port-forward service/prod-fleettap-collector "
                + "9000:9000\n");
        assertThat(notes).contains("\n  kubectl --namespace tracing logs daemonset/prod-fleettap-agent\n");
        assertThat(notes).doesNotContain("Kafka");
        // ChartDaemonsIT runs these against the daemons the chart renders.
        assertThat(NotesCommands.parse(notes)).containsExactly(
                List.of("hosts", "--collector", "127.0.0.1:9000"),
                List.of("run", "--collector", "127.0.0.1:9000", "--duration", "10s", "-e",
                        "global opens\n    probe syscall.openat { opens++ }"),
                List.of("query", "--collector", "127.0.0.1:9000", "--session", "SESSION_ID", "opens"),
                List.of("sessions", "--collector", "127.0.0.1:9000"));
    }

    @Test
    void withKafkaTheNotesNameTheBrokersAndTheTopic() {
        assertThat(Chart.notes(Map.of("kafka.bootstrap", "kafka:9092", "kafka.topic", "fleet.batches")))
                .contains("\n  - batches go through Kafka at kafka:9092, topic fleet.batches.\n");
        assertThat(Chart.notes(Map.of("kafka.bootstrap", "kafka:9092")))
                .contains("\n  - batches go through Kafka at kafka:9092, topic fleettap.batches.\n");
    }

    private static Map<String, Object> hostPath(String name, String path, String type) {
        return Map.of("name", name, "hostPath", Map.of("path", path, "type", type));
    }
}
