package org.fleettap.collector.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fleettap.collector.store.TestBatches.T0;
import static org.fleettap.collector.store.TestBatches.aggregate;
import static org.fleettap.collector.store.TestBatches.batch;
import static org.fleettap.collector.store.TestBatches.k;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.Aggregate;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.KeyPart;
import org.fleettap.proto.v1.LossCounters;
import org.fleettap.proto.v1.OutputLine;
import org.junit.jupiter.api.Test;

/**
 * {@link WireBatch#decode} against protobuf's own parser: whatever encoding of a batch the
 * generated parser reads, the decoder reads the same batch from (fields out of order, unpacked
 * lists, message fields split in two, unknown fields), and bytes it refuses are refused.
 */
class WireBatchTest {

    /** A batch with every field set (the fuzz test edits it too). */
    static final Batch BATCH = batch("host-ü", "s1", 7, T0)
            .add("latency", List.of(k("read"), k(-3)), 5, 7, 1_000_000, -2)
            .add("latency", List.of(k("write"), k(4)), 9)
            .add("calls", List.of(), 1, 1, 1)
            .build().toBuilder()
            .setLosses(LossCounters.newBuilder().setRecordsLost(3).setEventsDropped(4))
            .setSpoolDroppedBatches(2)
            .addOutput(OutputLine.newBuilder().setTimeUnixNanos(T0 + 5).setText("hello"))
            .setFinalBatch(true)
            .build();

    @Test
    void readsEveryFieldOfACanonicalBatch() throws Exception {
        WireBatch w = WireBatch.decode(BATCH.toByteArray());
        assertSameBatch(w, BATCH);
        assertThat(w.serializedSize()).isEqualTo(BATCH.getSerializedSize());
        for (int i = 0; i < 3; i++) {
            assertThat(w.deltas.get(i).value()).as("delta %d's bytes as sent", i)
                    .isEqualTo(BATCH.getAggregates(i).getAggregate().toByteArray());
        }
        Batch view = w.batch();
        assertThat(view.toBuilder().clearAggregates().build()).isEqualTo(BATCH.toBuilder().clearAggregates().build());
        assertThat(view.getAggregatesList()).extracting(AggregateDelta::getName)
                .containsExactly("latency", "latency", "calls");
        assertThat(view.getAggregates(0).getKeyCount()).isZero();
    }

    @Test
    void readsFieldsOutOfOrderUnpackedListsSplitMessagesAndUnknownFields() throws Exception {
        // The batch's fields written last to first, each delta's too, every list unpacked, and each
        // aggregate split into two occurrences of its field (protobuf merges them), among unknown fields.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeBool(10, true);
        out.writeUInt64(99, 12345); // unknown
        out.writeByteArray(8, BATCH.getLosses().toByteArray());
        for (OutputLine line : BATCH.getOutputList()) {
            out.writeByteArray(7, line.toByteArray());
        }
        for (AggregateDelta d : BATCH.getAggregatesList()) {
            out.writeByteArray(6, reversedDelta(d));
        }
        out.writeUInt64(9, BATCH.getSpoolDroppedBatches());
        out.writeInt64(5, BATCH.getWindowEndUnixNanos());
        out.writeInt64(4, BATCH.getWindowStartUnixNanos());
        out.writeString(98, "unknown too");
        out.writeUInt64(3, BATCH.getSequence());
        out.writeString(2, BATCH.getSessionId());
        out.writeString(1, "first host, overwritten");
        out.writeString(1, BATCH.getHostId());
        out.flush();
        byte[] encoded = bytes.toByteArray();
        assertThat(Batch.parseFrom(encoded).toBuilder().clearAggregates()
                .setUnknownFields(UnknownFieldSet.getDefaultInstance()).build())
                .as("what protobuf reads").isEqualTo(BATCH.toBuilder().clearAggregates().build());
        assertSameBatch(WireBatch.decode(encoded), Batch.parseFrom(encoded));
        assertSameBatch(WireBatch.decode(encoded), BATCH);
    }

    private static byte[] reversedDelta(AggregateDelta d) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        Aggregate a = d.getAggregate();
        // count, sum, min, max in the first occurrence; the buckets and the sketch in the second.
        Aggregate first = Aggregate.newBuilder().setCount(a.getCount()).setSum(a.getSum()).setMin(a.getMin())
                .setMax(a.getMax()).build();
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        CodedOutputStream s = CodedOutputStream.newInstance(second);
        s.writeSInt32(5, a.getLog2FirstBucket());
        for (long c : a.getLog2CountsList()) {
            s.writeUInt64(6, c); // unpacked
        }
        s.writeByteArray(7, a.getQuantiles().toByteArray());
        s.flush();
        out.writeByteArray(3, first.toByteArray());
        out.writeByteArray(3, second.toByteArray());
        for (KeyPart p : d.getKeyList()) {
            out.writeByteArray(2, p.toByteArray());
        }
        out.writeString(1, d.getName());
        out.flush();
        return bytes.toByteArray();
    }

    @Test
    void aKeyPartHoldsTheLastValueOfItsOneof() throws Exception {
        KeyPart both = KeyPart.parseFrom(concat(KeyPart.newBuilder().setIntValue(5).build().toByteArray(),
                KeyPart.newBuilder().setStringValue("five").build().toByteArray()));
        assertThat(both.getStringValue()).as("protobuf's reading").isEqualTo("five");
        byte[] delta = concat(AggregateDelta.newBuilder().setName("n").setAggregate(aggregate(1).toProto()).build()
                .toByteArray(), field(2, concat(KeyPart.newBuilder().setIntValue(5).build().toByteArray(),
                KeyPart.newBuilder().setStringValue("five").build().toByteArray())));
        Batch header = batch("h", "s", 1, T0).build();
        WireBatch w = WireBatch.decode(concat(header.toByteArray(), field(6, delta)));
        assertThat(w.deltas.get(0).series())
                .isEqualTo(AggregateKeys.series("s", "n", List.of(k("five")), "h"));
    }

    @Test
    void bytesThatAreNotABatchAreRefused() {
        byte[] good = BATCH.toByteArray();
        assertThatThrownBy(() -> WireBatch.decode(Arrays.copyOf(good, good.length - 3)))
                .isInstanceOf(InvalidProtocolBufferException.class);
        byte[] badUtf8 = batch("h", "s", 1, T0).build().toBuilder().setHostId("x").build().toByteArray();
        badUtf8[2] = (byte) 0xC0; // the host id's one byte: not UTF-8
        assertThatThrownBy(() -> Batch.parseFrom(badUtf8)).as("protobuf's reading")
                .isInstanceOf(InvalidProtocolBufferException.class);
        assertThatThrownBy(() -> WireBatch.decode(badUtf8)).isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessageContaining("UTF-8");
        byte[] zeroTag = {0, 0};
        assertThatThrownBy(() -> WireBatch.decode(zeroTag)).isInstanceOf(InvalidProtocolBufferException.class);
    }

    @Test
    void aBatchThatBreaksARuleKeepsItsIdentityAndSaysWhy() throws Exception {
        Batch b = batch("h", "s", 4, T0).add("", List.of(), 1).build();
        WireBatch w = WireBatch.decode(b.toByteArray());
        assertThat(w.rejection()).isEqualTo("aggregates[0] has no name");
        assertThat(List.of(w.hostId(), w.sessionId(), w.sequence())).containsExactly("h", "s", 4L);
        Batch noValue = batch("h", "s", 5, T0).add("n", List.of(k(1), KeyPart.getDefaultInstance()), 1).build();
        assertThat(WireBatch.decode(noValue.toByteArray()).rejection()).isEqualTo("aggregates[0] n: key[1] has no value");
    }

    private static void assertSameBatch(WireBatch w, Batch b) throws Exception {
        assertThat(w.rejection()).isNull();
        assertThat(List.of(w.hostId(), w.sessionId(), w.sequence(), w.windowStart, w.windowEnd, w.recordsLost,
                w.eventsDropped, w.spoolDroppedBatches, w.finalBatch)).containsExactly(b.getHostId(),
                b.getSessionId(), b.getSequence(), b.getWindowStartUnixNanos(), b.getWindowEndUnixNanos(),
                b.getLosses().getRecordsLost(), b.getLosses().getEventsDropped(), b.getSpoolDroppedBatches(),
                b.getFinalBatch());
        assertThat(w.output).isEqualTo(b.getOutputList());
        assertThat(w.deltas).hasSize(b.getAggregatesCount());
        for (int i = 0; i < b.getAggregatesCount(); i++) {
            AggregateDelta d = b.getAggregates(i);
            WireBatch.Delta got = w.deltas.get(i);
            assertThat(got.name()).isEqualTo(d.getName());
            assertThat(got.series()).as("series of delta %d", i)
                    .isEqualTo(AggregateKeys.series(b.getSessionId(), d.getName(), d.getKeyList(), b.getHostId()));
            assertThat(got.aggregate()).as("aggregate of delta %d", i)
                    .isEqualTo(MergeableAggregate.fromProto(d.getAggregate()));
            assertThat(MergeableAggregate.parse(got.value(), 0, got.value().length)).isEqualTo(got.aggregate());
        }
        assertThat(w.sessionKeyLength).isEqualTo(new OrderedKey.Writer().putString(b.getSessionId()).length());
        assertThat(w.hostKeyLength).isEqualTo(new OrderedKey.Writer().putString(b.getHostId()).length());
    }

    private static byte[] field(int number, byte[] message) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeByteArray(number, message);
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
