package org.fleettap.collector.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fleettap.collector.CollectorTesting.CALLS;
import static org.fleettap.collector.CollectorTesting.SESSION;
import static org.fleettap.collector.CollectorTesting.counted;
import static org.fleettap.collector.CollectorTesting.totalCount;
import static org.fleettap.collector.CollectorTesting.totalSum;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.fleettap.agent.transport.GrpcTransport;
import org.fleettap.agent.transport.Spool;
import org.fleettap.agent.transport.SpoolConfig;
import org.fleettap.agent.transport.TransportSettings;
import org.fleettap.agent.transport.TransportStats;
import org.fleettap.collector.Collector;
import org.fleettap.collector.CollectorConfig;
import org.fleettap.collector.CollectorTesting;
import org.fleettap.collector.RawIngestStream;
import org.fleettap.collector.control.ControlConfig;
import org.fleettap.proto.v1.Ack;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.AggregateRow;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.OutputLine;
import org.fleettap.proto.v1.QueryServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Agents' GrpcTransport → a Collector on loopback → QueryAggregates: exact totals, resends change nothing. */
class IngestEndToEndTest {
    private static final TransportSettings FAST = TransportSettings.defaults()
            .withBackoff(Duration.ofMillis(20), Duration.ofMillis(200)).withAckTimeout(Duration.ofSeconds(10));

    @TempDir
    Path tmp;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T c) {
        toClose.add(c);
        return c;
    }

    private Collector collector(CollectorConfig config) throws IOException {
        return closing(new Collector(config).start());
    }

    private ManagedChannel channel(Collector c) {
        ManagedChannel ch = CollectorTesting.channel(c.port());
        closing(ch::shutdownNow);
        return ch;
    }

    private GrpcTransport transport(Collector c, String host) throws IOException {
        return closing(GrpcTransport.connect("127.0.0.1:" + c.port(),
                Spool.open(SpoolConfig.of(tmp.resolve("spool-" + host))), FAST));
    }

    private static AggregateQueryResponse query(ManagedChannel ch, GroupBy groupBy) {
        return QueryServiceGrpc.newBlockingStub(ch).queryAggregates(AggregateQuery.newBuilder().setSessionId(SESSION)
                .setName(CALLS).setGroupBy(groupBy).build());
    }

    @Test
    void threeAgentsDeliverEveryBatchExactlyOnce() throws Exception {
        Collector c = collector(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store")));
        List<String> hosts = List.of("h1", "h2", "h3");
        int n = 300;
        List<GrpcTransport> transports = new ArrayList<>();
        for (String h : hosts) {
            transports.add(transport(c, h));
        }
        for (int seq = 1; seq <= n; seq++) {
            for (int i = 0; i < hosts.size(); i++) {
                transports.get(i).submit(counted(hosts.get(i), SESSION, seq));
            }
        }
        for (GrpcTransport t : transports) {
            t.flush(Duration.ofSeconds(60));
            TransportStats s = t.stats();
            assertThat(s.applied()).as("applied, %s", s).isEqualTo(n);
            assertThat(s.duplicates() + s.rejected() + s.intakeDropped()).as("%s", s).isZero();
        }
        assertThat(c.ingestStats()).isEqualTo(new IngestStats(3L * n, 0, 0, 0, 0, 0));

        ManagedChannel ch = channel(c);
        AggregateQueryResponse all = query(ch, GroupBy.GROUP_BY_NONE);
        assertThat(all.getRowsList()).hasSize(1);
        assertThat(all.getRows(0).getStats().getCount()).isEqualTo(3 * totalCount(n));
        assertThat(all.getRows(0).getStats().getSum()).isEqualTo(3 * totalSum(n));
        assertThat(all.getLossesList()).isEmpty();
        AggregateQueryResponse byHost = query(ch, GroupBy.GROUP_BY_HOST);
        assertThat(byHost.getRowsList()).extracting(AggregateRow::getHostId).containsExactlyElementsOf(hosts);
        for (AggregateRow r : byHost.getRowsList()) {
            assertThat(r.getStats().getCount()).isEqualTo(totalCount(n));
            assertThat(r.getStats().getSum()).isEqualTo(totalSum(n));
            assertThat(r.getStats().getMin()).isEqualTo(1);
            assertThat(r.getStats().getMax()).isEqualTo(n);
        }
        assertThat(c.store().output(SESSION, Set.of("h2"), Long.MIN_VALUE, Integer.MAX_VALUE))
                .extracting(e -> e.getLine().getText()).containsExactlyElementsOf(CollectorTesting.lines("h2", 1, n));
    }

    @Test
    void batchesResentAfterABrokenStreamAreDuplicatesAndChangeNothing() throws Exception {
        Collector c = collector(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store")));
        ManagedChannel ch = channel(c);

        RawIngestStream first = RawIngestStream.open(ch);
        for (int seq = 1; seq <= 5; seq++) {
            first.send(counted("h", SESSION, seq));
        }
        for (int seq = 1; seq <= 5; seq++) {
            assertThat(first.nextAck()).isEqualTo(ack(seq, AckStatus.ACK_STATUS_APPLIED));
        }
        // Sent, then broken before the acknowledgements could be read: applied or not, they are resent.
        for (int seq = 6; seq <= 8; seq++) {
            first.send(counted("h", SESSION, seq));
        }
        first.cancel();

        RawIngestStream second = RawIngestStream.open(ch);
        for (int seq = 1; seq <= 10; seq++) {
            second.send(counted("h", SESSION, seq));
        }
        List<Ack> acks = new ArrayList<>();
        for (int seq = 1; seq <= 10; seq++) {
            acks.add(second.nextAck());
        }
        assertThat(acks.subList(0, 5)).containsExactly(ack(1, AckStatus.ACK_STATUS_DUPLICATE),
                ack(2, AckStatus.ACK_STATUS_DUPLICATE), ack(3, AckStatus.ACK_STATUS_DUPLICATE),
                ack(4, AckStatus.ACK_STATUS_DUPLICATE), ack(5, AckStatus.ACK_STATUS_DUPLICATE));
        assertThat(acks.subList(5, 8)).extracting(Ack::getSequence).containsExactly(6L, 7L, 8L);
        assertThat(acks.subList(5, 8)).extracting(Ack::getStatus)
                .allMatch(s -> s == AckStatus.ACK_STATUS_APPLIED || s == AckStatus.ACK_STATUS_DUPLICATE);
        assertThat(acks.subList(8, 10)).containsExactly(ack(9, AckStatus.ACK_STATUS_APPLIED),
                ack(10, AckStatus.ACK_STATUS_APPLIED));
        second.complete();
        assertThat(second.awaitEnd()).as("the collector completes a stream the agent completed").isNull();

        IngestStats stats = c.ingestStats();
        assertThat(stats.applied()).isEqualTo(10);
        long resentDuplicates = acks.subList(5, 8).stream()
                .filter(a -> a.getStatus() == AckStatus.ACK_STATUS_DUPLICATE).count();
        // The cancelled stream's 6..8 may still reach the writer after their resends: then they count as duplicates
        // too, with no acknowledgement anyone reads.
        assertThat(stats.duplicates()).isBetween(5 + resentDuplicates, 8L);
        AggregateQueryResponse all = query(ch, GroupBy.GROUP_BY_NONE);
        assertThat(all.getRows(0).getStats().getCount()).isEqualTo(totalCount(10));
        assertThat(all.getRows(0).getStats().getSum()).isEqualTo(totalSum(10));
        assertThat(c.store().output(SESSION, Set.of(), Long.MIN_VALUE, Integer.MAX_VALUE))
                .extracting(e -> e.getLine().getText()).containsExactlyElementsOf(CollectorTesting.lines("h", 1, 10));
    }

    @Test
    void malformedAndOversizedBatchesAreRejectedWithTheReasonAndCounted() throws Exception {
        int maxBatchBytes = 4096;
        ControlConfig control = new ControlConfig("test", ControlConfig.DEFAULT_HEARTBEAT_INTERVAL,
                ControlConfig.DEFAULT_MAX_UNACKED_BATCHES, maxBatchBytes, ControlConfig.DEFAULT_MAX_SCRIPT_BYTES,
                ControlConfig.DEFAULT_MAX_QUEUED_COMMANDS, ControlConfig.DEFAULT_LOST_AFTER);
        CollectorConfig config = CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store"));
        Collector c = collector(config.withControl(control));
        ManagedChannel ch = channel(c);
        RawIngestStream s = RawIngestStream.open(ch);

        s.send(counted("h", SESSION, 1).toBuilder().setSequence(0).build());
        Ack zero = s.nextAck();
        assertThat(zero.getStatus()).isEqualTo(AckStatus.ACK_STATUS_REJECTED);
        assertThat(zero.getError()).isEqualTo("sequence is 0; batches are numbered from 1");

        Batch big = counted("h", SESSION, 1).toBuilder()
                .addOutput(OutputLine.newBuilder().setTimeUnixNanos(CollectorTesting.T0).setText("x".repeat(5000)))
                .build();
        s.send(big);
        Ack tooBig = s.nextAck();
        assertThat(tooBig.getStatus()).isEqualTo(AckStatus.ACK_STATUS_REJECTED);
        assertThat(tooBig.getSequence()).isEqualTo(1);
        assertThat(tooBig.getError()).isEqualTo("batch is " + big.getSerializedSize()
                + " bytes, over the limit of 4096 bytes (max_batch_bytes)");

        Batch inconsistent = counted("h", SESSION, 1).toBuilder().setAggregates(0, counted("h", SESSION, 1)
                .getAggregates(0).toBuilder().setAggregate(counted("h", SESSION, 1).getAggregates(0).getAggregate()
                        .toBuilder().setCount(99))).build();
        s.send(inconsistent);
        Ack bad = s.nextAck();
        assertThat(bad.getStatus()).isEqualTo(AckStatus.ACK_STATUS_REJECTED);
        assertThat(bad.getError()).startsWith("aggregates[0] calls: ");

        s.send(counted("h", SESSION, 1));
        assertThat(s.nextAck()).isEqualTo(ack(1, AckStatus.ACK_STATUS_APPLIED));
        assertThat(c.ingestStats()).isEqualTo(new IngestStats(1, 0, 0, 1, 2, 0));
        assertThat(query(ch, GroupBy.GROUP_BY_NONE).getRows(0).getStats().getCount()).isEqualTo(totalCount(1));
    }

    @Test
    void threeBadMessagesAmongTenGoodBatchesAreRejectedAndCountedAndTheStreamStaysOpen() throws Exception {
        Collector c = collector(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store")));
        ManagedChannel ch = channel(c);
        RawIngestStream s = RawIngestStream.open(ch);
        byte[] good = counted("h", SESSION, 4).toByteArray();
        byte[][] bad = {
            Arrays.copyOf(good, good.length - 3), // truncated inside its aggregates
            {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}, // a varint tag longer than 10 bytes
            {0x0a, 0x7f, 'h'}, // host_id claims 127 bytes, one follows
        };
        int next = 0;
        for (long seq = 1; seq <= 10; seq++) {
            s.send(counted("h", SESSION, seq));
            assertThat(s.nextAck()).isEqualTo(ack(seq, AckStatus.ACK_STATUS_APPLIED));
            if (seq % 3 == 0) {
                s.sendBytes(bad[next++]);
                Ack refused = s.nextAck();
                assertThat(refused.getStatus()).isEqualTo(AckStatus.ACK_STATUS_REJECTED);
                assertThat(refused.getSequence()).isZero();
                assertThat(refused.getError()).startsWith("batch is not a protobuf Batch: ").doesNotContain("\n");
            }
        }
        assertThat(next).isEqualTo(3);
        assertThat(c.ingestStats()).isEqualTo(new IngestStats(10, 0, 3, 0, 0, 0));
        assertThat(c.ingestStats().rejected()).isEqualTo(3);
        assertThat(s.ended()).as("stream still open").isFalse();
        assertThat(query(ch, GroupBy.GROUP_BY_NONE).getRows(0).getStats().getCount()).isEqualTo(totalCount(10));
        s.complete();
        assertThat(s.awaitEnd()).as("the collector completes the stream").isNull();
    }

    @Test
    void messagesOverTheGrpcLimitAreRefusedOnEveryServiceAndTheCollectorGoesOn() throws Exception {
        Collector c = collector(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store")));
        ManagedChannel ch = channel(c);
        RawIngestStream s = RawIngestStream.open(ch);
        s.sendBytes(new byte[IngestServiceImpl.MAX_MESSAGE_BYTES + 1]);
        Throwable ended = s.awaitEnd();
        assertThat(Status.fromThrowable(ended).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);

        String huge = "s".repeat(IngestServiceImpl.MAX_MESSAGE_BYTES);
        assertThatThrownBy(() -> QueryServiceGrpc.newBlockingStub(ch).queryAggregates(
                AggregateQuery.newBuilder().setSessionId(huge).setName(CALLS).build()))
                .satisfies(e -> assertThat(Status.fromThrowable(e).getCode())
                        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED));

        assertThat(RawIngestStream.ingest(ch, counted("h", SESSION, 1)))
                .containsExactly(ack(1, AckStatus.ACK_STATUS_APPLIED));
        assertThat(c.ingestStats()).isEqualTo(new IngestStats(1, 0, 0, 0, 0, 0));
    }

    @Test
    void aTinyQueueHoldsAgentsBackWithoutLosingOrDeadlocking() throws Exception {
        CollectorConfig base = CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store"));
        ControlConfig control = new ControlConfig("test", ControlConfig.DEFAULT_HEARTBEAT_INTERVAL, 2,
                ControlConfig.DEFAULT_MAX_BATCH_BYTES, ControlConfig.DEFAULT_MAX_SCRIPT_BYTES,
                ControlConfig.DEFAULT_MAX_QUEUED_COMMANDS, ControlConfig.DEFAULT_LOST_AFTER);
        // Three places for four streams of two each, and a byte bound below two batches.
        Collector c = collector(base.withControl(control)
                .withIngest(base.ingest().withQueue(3, 300).withGroup(2, 1 << 20)));
        List<String> hosts = List.of("a", "b", "c", "d");
        int n = 100;
        List<GrpcTransport> transports = new ArrayList<>();
        for (String h : hosts) {
            transports.add(transport(c, h));
        }
        for (int seq = 1; seq <= n; seq++) {
            for (int i = 0; i < hosts.size(); i++) {
                transports.get(i).submit(counted(hosts.get(i), SESSION, seq));
            }
        }
        for (GrpcTransport t : transports) {
            t.flush(Duration.ofSeconds(60));
            assertThat(t.stats().applied()).as("%s", t.stats()).isEqualTo(n);
        }
        assertThat(c.ingestStats()).isEqualTo(new IngestStats(4L * n, 0, 0, 0, 0, 0));
        AggregateQueryResponse all = query(channel(c), GroupBy.GROUP_BY_NONE);
        assertThat(all.getRows(0).getStats().getCount()).isEqualTo(4 * totalCount(n));
        assertThat(all.getRows(0).getStats().getSum()).isEqualTo(4 * totalSum(n));
    }

    private static Ack ack(long seq, AckStatus status) {
        return Ack.newBuilder().setHostId("h").setSessionId(SESSION).setSequence(seq).setStatus(status).build();
    }
}
