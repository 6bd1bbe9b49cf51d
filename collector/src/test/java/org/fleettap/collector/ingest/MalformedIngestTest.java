package org.fleettap.collector.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.collector.CollectorTesting.CALLS;
import static org.fleettap.collector.CollectorTesting.SESSION;
import static org.fleettap.collector.CollectorTesting.counted;
import static org.fleettap.collector.CollectorTesting.totalCount;

import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.fleettap.collector.Collector;
import org.fleettap.collector.CollectorConfig;
import org.fleettap.collector.CollectorTesting;
import org.fleettap.proto.v1.Ack;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.IngestServiceGrpc;
import org.fleettap.proto.v1.QueryServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Messages on an Ingest stream that are not batches (truncated, garbled, random) are refused one by one with the
 * parser's reason and counted as malformed; the good batches around them are applied and the stream stays open.
 */
class MalformedIngestTest {
    @TempDir
    Path tmp;

    private Collector collector;
    private ManagedChannel channel;

    @AfterEach
    void close() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (collector != null) {
            collector.close();
        }
    }

    /** {@code Ingest} with requests sent as raw bytes, so that a test can send what no protobuf encoder would. */
    private static final MethodDescriptor<byte[], Ack> RAW_INGEST = IngestServiceGrpc.getIngestMethod().toBuilder(
            new MethodDescriptor.Marshaller<byte[]>() {
                @Override
                public InputStream stream(byte[] value) {
                    return new ByteArrayInputStream(value);
                }

                @Override
                public byte[] parse(InputStream stream) {
                    try {
                        return stream.readAllBytes();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }, IngestServiceGrpc.getIngestMethod().getResponseMarshaller()).build();

    private static final class RawBytesStream implements ClientResponseObserver<byte[], Ack> {
        final BlockingQueue<Ack> acks = new LinkedBlockingQueue<>();
        final CountDownLatch ended = new CountDownLatch(1);
        volatile Throwable error;
        ClientCallStreamObserver<byte[]> requests;

        @Override
        public void beforeStart(ClientCallStreamObserver<byte[]> requestStream) {
            requests = requestStream;
        }

        @Override
        public void onNext(Ack ack) {
            acks.add(ack);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
            ended.countDown();
        }

        @Override
        public void onCompleted() {
            ended.countDown();
        }

        Ack nextAck() throws InterruptedException {
            Ack a = acks.poll(30, TimeUnit.SECONDS);
            assertThat(a).as("an acknowledgement within 30 s (stream error: %s)", error).isNotNull();
            return a;
        }
    }

    @Test
    void threeBadMessagesAmongTenGoodBatchesAreRejectedAndCountedAndTheStreamStaysOpen() throws Exception {
        collector = new Collector(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store"))).start();
        channel = CollectorTesting.channel(collector.port());
        RawBytesStream s = new RawBytesStream();
        ClientCalls.asyncBidiStreamingCall(channel.newCall(RAW_INGEST, io.grpc.CallOptions.DEFAULT), s);

        byte[] good = counted("h", SESSION, 4).toByteArray();
        byte[][] bad = {
            Arrays.copyOf(good, good.length - 3), // truncated inside its aggregates
            {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}, // a varint tag longer than 10 bytes
            {0x0a, 0x7f, 'h'}, // host_id claims 127 bytes, one follows
        };
        int next = 0;
        for (long seq = 1; seq <= 10; seq++) {
            s.requests.onNext(counted("h", SESSION, seq).toByteArray());
            Ack ack = s.nextAck();
            assertThat(ack.getStatus()).isEqualTo(AckStatus.ACK_STATUS_APPLIED);
            assertThat(ack.getSequence()).isEqualTo(seq);
            if (seq % 3 == 0) {
                s.requests.onNext(bad[next++]);
                Ack refused = s.nextAck();
                assertThat(refused.getStatus()).isEqualTo(AckStatus.ACK_STATUS_REJECTED);
                assertThat(refused.getSequence()).isZero();
                assertThat(refused.getError()).startsWith("batch is not a protobuf Batch: ").doesNotContain("\n");
            }
        }
        assertThat(next).isEqualTo(3);
        assertThat(collector.ingestStats()).isEqualTo(new IngestStats(10, 0, 3, 0, 0, 0));
        assertThat(collector.ingestStats().rejected()).isEqualTo(3);
        assertThat(s.ended.getCount()).as("stream still open").isEqualTo(1);

        long count = QueryServiceGrpc.newBlockingStub(channel).queryAggregates(AggregateQuery.newBuilder()
                .setSessionId(SESSION).setName(CALLS).setGroupBy(GroupBy.GROUP_BY_NONE).build())
                .getRows(0).getStats().getCount();
        assertThat(count).isEqualTo(totalCount(10));

        s.requests.onCompleted();
        assertThat(s.ended.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(s.error).isNull();
    }
}
