package org.fleettap.agent.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reading, wrapping, tail write-back and corruption handling of one ring buffer. */
class RingBufferTest {
    private static final long ID = 21;
    private static final long REGS = X86Reg.mask(X86Reg.DI, X86Reg.SI, X86Reg.IP);
    /** A uprobe sample with 3 registers: 8 header + 40 fields + 24 registers. */
    private static final int SAMPLE_SIZE = 72;

    private final IdRegistry registry = new IdRegistry();
    private final RecordCounters counters = new RecordCounters();
    private final List<String> corruptions = new ArrayList<>();

    RingBufferTest() {
        registry.register(ID, SampleFormat.of(RingWriter.UPROBE_TYPE, REGS, true), 0);
    }

    private RingBuffer reader(RingWriter w, int pageSize) {
        return new RingBuffer(w.region, pageSize, registry, counters,
                (position, head, reason) -> corruptions.add(position + "/" + head + ": " + reason));
    }

    private static byte[] sample(long time, long di) {
        // Registers in perf order: SI (4), DI (5), IP (8).
        return RingWriter.uprobeSample(ID, 10, 11, time, 0, 0x51, di, 0x401000);
    }

    private static String describe(PerfRecord r) {
        return r.time() + ":" + Long.toHexString(r.userReg(X86Reg.DI));
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void deliversInOrderAndWritesTailOnceAfterTheDrain(boolean direct) {
        RingWriter w = RingWriter.pages(1, direct);
        w.append(RecordType.SAMPLE, 0, sample(1, 0xa)).append(RecordType.SAMPLE, 0, sample(2, 0xb))
                .append(RecordType.SAMPLE, 0, sample(3, 0xc)).publish();
        RingBuffer rb = reader(w, RingWriter.PAGE);
        assertThat(rb.dataSize()).isEqualTo(RingWriter.PAGE);
        List<String> seen = new ArrayList<>();
        List<Long> tailsSeen = new ArrayList<>();
        int n = rb.drain(r -> {
            seen.add(describe(r));
            tailsSeen.add(w.tail());
        });
        assertThat(n).isEqualTo(3);
        assertThat(seen).containsExactly("1:a", "2:b", "3:c");
        assertThat(tailsSeen).containsExactly(0L, 0L, 0L);
        assertThat(w.tail()).isEqualTo(3L * SAMPLE_SIZE).isEqualTo(w.head());
        assertThat(rb.drain(r -> seen.add("again"))).isZero();
        assertThat(counters.records()).isEqualTo(3);
        assertThat(counters.samples()).isEqualTo(3);
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void recordStraddlingTheEndIsReassembled(boolean direct) {
        // Data area of 256 bytes; the record at 200 runs to 272, i.e. 56 bytes before the end and 16 after it.
        RingWriter w = RingWriter.sized(256, direct).startAt(200);
        w.append(RecordType.SAMPLE, 0, sample(7, 0xdeadbeefL)).append(RecordType.SAMPLE, 0, sample(8, 0xf00))
                .publish();
        RingBuffer rb = reader(w, RingWriter.PAGE);
        assertThat(rb.dataSize()).isEqualTo(256);
        List<String> seen = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        rb.drain(r -> {
            seen.add(describe(r) + " " + r.pid() + "/" + r.tid() + " ip=" + Long.toHexString(r.userReg(X86Reg.IP)));
            offsets.add(r.offset());
        });
        assertThat(seen).containsExactly("7:deadbeef 10/11 ip=401000", "8:f00 10/11 ip=401000");
        // The straddling record was read from the scratch copy, the next one in place right after the wrap.
        assertThat(offsets).containsExactly(0, 16);
        assertThat(w.tail()).isEqualTo(200 + 2L * SAMPLE_SIZE);
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void manyLapsWithVariableSizesKeepEveryRecordIntact(boolean direct) {
        RingWriter w = RingWriter.sized(512, direct);
        RingBuffer rb = reader(w, RingWriter.PAGE);
        List<String> expected = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        long time = 0;
        for (int round = 0; round < 200; round++) {
            // Fill with records of different sizes (comm names of varying length) while space remains.
            while (true) {
                String name = "c".repeat((int) (time % 23));
                byte[] body = RingWriter.body().u32(1).u32(2).cstring(name)
                        .sampleId(RingWriter.UPROBE_TYPE, 1, 2, time, ID, 0, 0).toArray();
                if (8 + body.length > w.free()) {
                    break;
                }
                w.append(RecordType.COMM, 0, body);
                expected.add(time + ":" + name);
                time++;
            }
            w.publish();
            rb.drain(r -> seen.add(r.time() + ":" + r.comm()));
            assertThat(w.tail()).isEqualTo(w.head());
        }
        assertThat(time).isGreaterThan(1000);
        assertThat(seen).isEqualTo(expected);
        assertThat(counters.corruptions()).isZero();
    }

    @Test
    void legacyLayoutUsesThePageSize() {
        RingWriter w = RingWriter.pages(2, true);
        RingBuffer rb = reader(w, RingWriter.PAGE);
        assertThat(rb.dataSize()).isEqualTo(2 * RingWriter.PAGE);
        assertThatThrownBy(() -> reader(RingWriter.pages(3, false), RingWriter.PAGE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("data_size=12288");
    }

    @Test
    void readerResumesAtTheExistingTail() {
        RingWriter w = RingWriter.pages(1, false).startAt(10_000L * 4096 + 64);
        w.append(RecordType.SAMPLE, 0, sample(5, 1)).publish();
        RingBuffer rb = reader(w, RingWriter.PAGE);
        assertThat(rb.position()).isEqualTo(10_000L * 4096 + 64);
        List<String> seen = new ArrayList<>();
        rb.drain(r -> seen.add(describe(r)));
        assertThat(seen).containsExactly("5:1");
    }

    @Test
    void recordsPublishedDuringADrainWaitForTheNext() {
        RingWriter w = RingWriter.pages(1, false);
        w.append(RecordType.SAMPLE, 0, sample(1, 1)).publish();
        RingBuffer rb = reader(w, RingWriter.PAGE);
        List<String> seen = new ArrayList<>();
        assertThat(rb.drain(r -> {
            seen.add(describe(r));
            w.append(RecordType.SAMPLE, 0, sample(2, 2)).publish();
        })).isEqualTo(1);
        assertThat(w.tail()).isEqualTo(SAMPLE_SIZE);
        assertThat(rb.drain(r -> seen.add(describe(r)))).isEqualTo(1);
        assertThat(seen).containsExactly("1:1", "2:2");
    }

    @Test
    void aFailingConsumerDoesNotSeeTheSameRecordTwice() {
        RingWriter w = RingWriter.pages(1, false);
        w.append(RecordType.SAMPLE, 0, sample(1, 1)).append(RecordType.SAMPLE, 0, sample(2, 2)).publish();
        RingBuffer rb = reader(w, RingWriter.PAGE);
        assertThatThrownBy(() -> rb.drain(r -> {
            throw new IllegalStateException("handler bug");
        })).hasMessage("handler bug");
        assertThat(w.tail()).isEqualTo(SAMPLE_SIZE);
        List<String> seen = new ArrayList<>();
        rb.drain(r -> seen.add(describe(r)));
        assertThat(seen).containsExactly("2:2");
    }

    @Test
    void zeroSizeRecordIsCorruptionAndResyncs() {
        RingWriter w = RingWriter.pages(1, false);
        w.append(RecordType.SAMPLE, 0, sample(1, 1));
        w.appendRaw(RecordType.SAMPLE, 0, 0, new byte[24]);
        w.append(RecordType.SAMPLE, 0, sample(2, 2)).publish();
        RingBuffer rb = reader(w, RingWriter.PAGE);
        List<String> seen = new ArrayList<>();
        assertThat(rb.drain(r -> seen.add(describe(r)))).isEqualTo(1);
        assertThat(seen).containsExactly("1:1");
        assertThat(counters.corruptions()).isEqualTo(1);
        assertThat(corruptions).containsExactly(
                "72/176: record size 0 at ring position 72 with 104 bytes published");
        // Everything up to the head was dropped and handed back to the kernel.
        assertThat(w.tail()).isEqualTo(w.head());
        w.append(RecordType.SAMPLE, 0, sample(3, 3)).publish();
        rb.drain(r -> seen.add(describe(r)));
        assertThat(seen).containsExactly("1:1", "3:3");
    }

    @Test
    void recordLargerThanTheDataAreaIsCorruption() {
        RingWriter w = RingWriter.sized(256, true);
        w.appendRaw(RecordType.SAMPLE, 0, 512, new byte[8]).publish();
        RingBuffer rb = reader(w, RingWriter.PAGE);
        assertThat(rb.drain(r -> { })).isZero();
        assertThat(counters.corruptions()).isEqualTo(1);
        assertThat(corruptions).singleElement().asString().contains("record size 512");
        assertThat(w.tail()).isEqualTo(16);
    }

    @Test
    void recordLargerThanWhatWasPublishedIsCorruption() {
        RingWriter w = RingWriter.pages(1, false);
        w.appendRaw(RecordType.SAMPLE, 0, 128, new byte[8]).publish();
        assertThat(reader(w, RingWriter.PAGE).drain(r -> { })).isZero();
        assertThat(counters.corruptions()).isEqualTo(1);
        assertThat(corruptions).singleElement().asString().contains("record size 128").contains("16 bytes published");
    }

    @Test
    void misalignedSizeIsCorruption() {
        RingWriter w = RingWriter.pages(1, false);
        w.appendRaw(RecordType.SAMPLE, 0, 12, new byte[8]).publish();
        assertThat(reader(w, RingWriter.PAGE).drain(r -> { })).isZero();
        assertThat(counters.corruptions()).isEqualTo(1);
    }

    @Test
    void headFurtherThanTheDataAreaIsCorruption() {
        RingWriter w = RingWriter.sized(256, false);
        RingBuffer rb = reader(w, RingWriter.PAGE);
        w.setHead(4096);
        assertThat(rb.drain(r -> { })).isZero();
        assertThat(counters.corruptions()).isEqualTo(1);
        assertThat(w.tail()).isEqualTo(4096);
        w.setHead(100); // backwards
        assertThat(rb.drain(r -> { })).isZero();
        assertThat(counters.corruptions()).isEqualTo(2);
        assertThat(w.tail()).isEqualTo(100);
    }

    @Test
    void aBufferOfZerosNeverLoops() {
        RingWriter w = RingWriter.sized(256, false);
        w.setHead(256);
        RingBuffer rb = reader(w, RingWriter.PAGE);
        assertThat(rb.drain(r -> { })).isZero();
        assertThat(counters.corruptions()).isEqualTo(1);
        assertThat(rb.drain(r -> { })).isZero();
        assertThat(counters.corruptions()).isEqualTo(1);
    }

    @Test
    void lostRecordsAreDeliveredAndCountedPerIdAndInTotal() {
        IdRegistry ids = new IdRegistry();
        long type = SampleType.IDENTIFIER | SampleType.TIME;
        ids.register(1, SampleFormat.of(type, 0, true), 0);
        ids.register(2, SampleFormat.of(type, 0, true), 1);
        RingWriter w = RingWriter.pages(1, false);
        w.append(RecordType.LOST, 0, RingWriter.body().u64(1).u64(10).sampleId(type, 0, 0, 5, 1, 0, 0).toArray());
        w.append(RecordType.LOST, 0, RingWriter.body().u64(2).u64(3).sampleId(type, 0, 0, 6, 2, 0, 0).toArray());
        w.append(RecordType.LOST, 0, RingWriter.body().u64(1).u64(1).sampleId(type, 0, 0, 7, 1, 0, 0).toArray());
        // A lost record naming an id nobody registered still counts in the total.
        w.append(RecordType.LOST, 0, RingWriter.body().u64(99).u64(100).sampleId(type, 0, 0, 8, 1, 0, 0).toArray());
        w.append(RecordType.LOST_SAMPLES, 0, RingWriter.body().u64(4).sampleId(type, 0, 0, 9, 2, 0, 0).toArray());
        w.publish();
        List<String> seen = new ArrayList<>();
        new RingBuffer(w.region, RingWriter.PAGE, ids, counters)
                .drain(r -> seen.add(RecordType.name(r.type()) + " " + r.eventId() + " " + r.lostCount()));
        assertThat(seen).containsExactly("LOST 1 10", "LOST 2 3", "LOST 1 1", "LOST 99 100", "LOST_SAMPLES 0 4");
        assertThat(counters.lostRecords()).isEqualTo(4);
        assertThat(counters.lost()).isEqualTo(114);
        assertThat(counters.lostSamples()).isEqualTo(4);
        assertThat(ids.lost(1)).isEqualTo(11);
        assertThat(ids.lost(2)).isEqualTo(3);
        assertThat(ids.lostSamples(2)).isEqualTo(4);
        assertThat(ids.lost(99)).isZero();
    }

    @Test
    void rejectsBadRegions() {
        assertThatThrownBy(() -> reader(RingWriter.pages(1, false), 1000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("page size");
        RingWriter w = RingWriter.sized(256, false);
        w.region.putLong(RingBuffer.DATA_SIZE, 8192);
        assertThatThrownBy(() -> reader(w, RingWriter.PAGE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad data area");
    }
}
