package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.OutputLine;
import org.fleettap.proto.v1.SessionServiceGrpc;
import org.fleettap.proto.v1.StartSessionRequest;
import org.fleettap.proto.v1.TargetSelector;
import org.fleettap.testing.kafka.KafkaBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import sun.misc.Signal;

/**
 * {@code fleettap agent --kafka}: control through the collector, batches to a real Kafka broker (KRaft, in a child
 * JVM), keyed by the host id, in order; SIGTERM still sends a running session's last batch before the agent exits.
 */
@Timeout(300)
class AgentKafkaEndToEndTest {
    private static final String HOST = "kafka-agent";
    private static final String TOPIC = "cli.batches";

    @TempDir
    Path dir;

    @Test
    void batchesGoToTheTopicKeyedByHostAndTheLastOneOnSigterm() throws Exception {
        try (KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"));
                LoopbackCollector collector = new LoopbackCollector();
                KafkaConsumer<byte[], byte[]> consumer = consumer(kafka.bootstrapServers());
                Capture c = Capture.install()) {
            kafka.createTopic(TOPIC, 2);
            consumer.subscribe(List.of(TOPIC));
            CompletableFuture<Integer> agent = Capture.start("agent", "--collector", collector.address(), "--kafka",
                    kafka.bootstrapServers(), "--kafka-topic", TOPIC, "--host-id", HOST, "--spool",
                    dir.resolve("spool").toString(), "--state", dir.resolve("state").toString());
            Await.until("the agent connected", () -> collector.plane.isConnected(HOST));
            String id = startSession(collector.address());

            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            poll(consumer, records, () -> output(records).contains("ready"));
            assertThat(agent).isNotDone();
            Signal.raise(new Signal("TERM"));
            assertThat(agent.get(60, TimeUnit.SECONDS)).isZero();
            poll(consumer, records, () -> batches(records).stream().anyMatch(Batch::getFinalBatch));

            assertThat(records).extracting(r -> new String(r.key(), StandardCharsets.UTF_8)).containsOnly(HOST);
            List<Batch> batches = batches(records);
            assertThat(batches).extracting(Batch::getSessionId).containsOnly(id);
            assertThat(batches).extracting(Batch::getSequence).isSorted().doesNotHaveDuplicates();
            assertThat(output(records)).containsExactly("ready", "bye");
            assertThat(collector.query.batches(id)).as("nothing through the collector's ingest").isEmpty();
            assertThat(c.stdout()).isEmpty();
            assertThat(c.stderr()).isEmpty();
        }
    }

    private static String startSession(String address) {
        ManagedChannel channel = NettyChannelBuilder.forTarget(address).usePlaintext().build();
        try {
            return SessionServiceGrpc.newBlockingStub(channel).startSession(StartSessionRequest.newBuilder()
                    .setScriptName("bye.stp")
                    .setScriptSource("probe begin { printf(\"ready\\n\") }\nprobe end { printf(\"bye\\n\") }\n")
                    .setTarget(TargetSelector.getDefaultInstance())
                    .setExportIntervalNanos(Duration.ofMillis(100).toNanos()).build()).getSessionId();
        } finally {
            channel.shutdownNow();
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "cli-test", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static void poll(KafkaConsumer<byte[], byte[]> consumer, List<ConsumerRecord<byte[], byte[]>> into,
            java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("records within 60 s").isLessThan(deadline);
            consumer.poll(Duration.ofMillis(200)).forEach(into::add);
        }
    }

    private static List<Batch> batches(List<ConsumerRecord<byte[], byte[]>> records) {
        List<Batch> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            try {
                out.add(Batch.parseFrom(r.value()));
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new AssertionError("a record that is not a Batch", e);
            }
        }
        return out;
    }

    private static List<String> output(List<ConsumerRecord<byte[], byte[]>> records) {
        return batches(records).stream().flatMap(b -> b.getOutputList().stream()).map(OutputLine::getText).toList();
    }
}
