package org.fleettap.agent.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.fleettap.agent.testing.Mutation;

/**
 * Fuzzes ring-buffer record decoding: well-formed records of every kind the agent reads (samples with every field,
 * uprobe samples, COMM, MMAP2 with a build-id, LOST), mutated, truncated, with their size field rewritten, mixed with
 * records of random type and bytes, written across the ring's wrap point. Draining delivers, skips and counts, or
 * reports a corruption; no exception escapes, and every delivered record's fields lie inside the record.
 * Tries: {@code -Dfuzz.tries} (docs/fuzzing.md).
 */
final class PerfRecordFuzzTest {
    private static final long FULL_ID = PerfRecordTest.ID;
    private static final long UPROBE_ID = 21;
    private static final long FULL = PerfRecordTest.FULL;
    private static final long REGS = PerfRecordTest.REGS;

    /** A record to write: type, misc, the size its header declares (0: the true size), and its body. */
    record Written(int type, int misc, int declaredSize, byte[] body) {
        @Override
        public String toString() {
            return "type " + type + " misc 0x" + Integer.toHexString(misc) + " size " + declaredSize + " body "
                    + body.length;
        }
    }

    private static final List<Written> TEMPLATES = List.of(
            new Written(RecordType.SAMPLE, RecordType.MISC_USER, 0, fullSample(12)),
            new Written(RecordType.SAMPLE, RecordType.MISC_USER, 0,
                    RingWriter.uprobeSample(UPROBE_ID, 10, 11, 5, 0, 0x51, 0xd1, 0x401000)),
            new Written(RecordType.COMM, RecordType.MISC_COMM_EXEC, 0, trailer(RingWriter.body().u32(200).u32(201)
                    .cstring("gis_server")).toArray()),
            new Written(RecordType.MMAP2, RecordType.MISC_MMAP_BUILD_ID, 0, trailer(RingWriter.body().u32(200)
                    .u32(200).u64(0x400000).u64(0x1000).u64(0).u8(20).u8(0).u16(0).bytes(new byte[20]).u32(5).u32(2)
                    .cstring("/bin/ls")).toArray()),
            new Written(RecordType.LOST, 0, 0, trailer(RingWriter.body().u64(FULL_ID).u64(3)).toArray()),
            new Written(RecordType.LOST_SAMPLES, 0, 0, trailer(RingWriter.body().u64(4)).toArray()));

    /** A sample of every field the decoder lays out, with a 16-byte user stack copy of which {@code dyn} are valid. */
    private static byte[] fullSample(long dyn) {
        return RingWriter.body()
                .u64(FULL_ID).u64(0x401136L).u32(1234).u32(1235).u64(987_654_321L).u64(0xdead0000L).u64(FULL_ID)
                .u64(77).u32(3).u32(0).u64(1).u64(3).u64(0xffffffff81000000L).u64(0x401136L).u64(0x401200L)
                .u32(12).bytes("tracepoint!".getBytes(StandardCharsets.US_ASCII)).u8(0)
                .u64(SampleType.REGS_ABI_64).u64(0x51).u64(0xd1).u64(0x7ffc0000L)
                .u64(16).bytes(new byte[16]).u64(dyn).u64(42).u64(0x1234).u64(9).u64(0x9000).toArray();
    }

    private static RingWriter.Body trailer(RingWriter.Body b) {
        return b.sampleId(FULL, 100, 101, 5_000, FULL_ID, 77, 3);
    }

    @Property
    void garbledRecords(@ForAll("records") List<Written> records, @ForAll("starts") long start) {
        IdRegistry registry = new IdRegistry();
        registry.register(FULL_ID, SampleFormat.of(FULL, REGS, true), 1);
        registry.register(UPROBE_ID, SampleFormat.of(RingWriter.UPROBE_TYPE, REGS, true), 2);
        RecordCounters counters = new RecordCounters();
        List<String> corruptions = new ArrayList<>();
        RingWriter w = RingWriter.pages(2, true).startAt(start);
        int written = 0;
        for (Written r : records) {
            if (w.head() + 8 + r.body().length - w.tail() > w.dataSize) {
                break;
            }
            w.appendRaw(r.type(), r.misc(), r.declaredSize() == 0 ? 8 + r.body().length : r.declaredSize(),
                    r.body());
            written++;
        }
        w.publish();
        RingBuffer ring = new RingBuffer(w.region, RingWriter.PAGE, registry, counters,
                (position, head, reason) -> corruptions.add(reason));
        int[] delivered = {0};
        ring.drain(r -> {
            delivered[0]++;
            inside(r);
        });
        assertThat(ring.drain(r -> delivered[0]++)).isZero();
        assertThat(ring.position()).as("read up to the head").isEqualTo(w.head());
        assertThat(w.tail()).as("tail written back").isEqualTo(w.head());
        assertThat(delivered[0] + counters.malformed + counters.unknownTypes)
                .as("records delivered or skipped of %d written, %d corruptions", written, corruptions.size())
                .isLessThanOrEqualTo(written);
    }

    /**
     * Regression (found by {@link #garbledRecords}): a sample whose dyn_size claimed more valid stack bytes (28) than
     * were copied (16) was delivered as it was; it is malformed, skipped and counted.
     */
    @Example
    void stackDynSizeAboveTheCopyIsMalformed() {
        IdRegistry registry = new IdRegistry();
        registry.register(FULL_ID, SampleFormat.of(FULL, REGS, true), 1);
        RecordCounters counters = new RecordCounters();
        RingWriter w = RingWriter.pages(1, false);
        w.append(RecordType.SAMPLE, RecordType.MISC_USER, fullSample(28))
                .append(RecordType.SAMPLE, RecordType.MISC_USER, fullSample(16)).publish();
        List<Long> dynSizes = new ArrayList<>();

        new RingBuffer(w.region, RingWriter.PAGE, registry, counters).drain(r -> dynSizes.add(r.userStackDynSize()));

        assertThat(dynSizes).containsExactly(16L);
        assertThat(counters.malformed).isEqualTo(1);
    }

    /** Every variable-length part of a delivered record lies inside it; reading every field throws nothing. */
    private static void inside(PerfRecord r) {
        int end = r.offset() + r.size();
        assertThat(r.size()).isBetween(8, 1 << 16);
        assertThat(r.toString()).isNotBlank();
        if (r.type() == RecordType.SAMPLE) {
            for (int i = 0; i < r.callchainLength(); i++) {
                r.callchain(i);
            }
            for (int i = 0; i < r.userRegCount(); i++) {
                r.userRegAt(i);
            }
            if (r.rawSize() > 0) {
                assertThat((long) r.rawOffset() + r.rawSize()).isLessThanOrEqualTo(end);
            }
            if (r.userStackSize() > 0) {
                assertThat(r.userStackOffset() + r.userStackSize()).isLessThanOrEqualTo(end);
                assertThat(r.userStackDynSize()).isBetween(0L, r.userStackSize());
            }
        }
        if (r.type() == RecordType.MMAP2 && r.hasBuildId()) {
            assertThat(r.buildId().length).isBetween(0, 20);
        }
    }

    @Provide
    Arbitrary<List<Written>> records() {
        Arbitrary<Written> mutated = Combinators.combine(Arbitraries.of(TEMPLATES), Mutation.lists(4))
                .as((t, edits) -> new Written(t.type(), t.misc(), 0, pad(Mutation.applyAll(t.body(), edits))));
        Arbitrary<Written> resized = Combinators.combine(Arbitraries.of(TEMPLATES),
                Arbitraries.integers().between(0, 0xffff)).as((t, size) -> new Written(t.type(), t.misc(), size,
                        t.body()));
        Arbitrary<Written> random = Combinators.combine(Arbitraries.integers().between(0, 24),
                Arbitraries.integers().between(0, 0xffff), Arbitraries.bytes().array(byte[].class).ofMaxSize(256))
                .as((type, misc, body) -> new Written(type, misc, 0, pad(body)));
        return Arbitraries.frequencyOf(Tuple.of(4, mutated), Tuple.of(1, resized),
                Tuple.of(1, random), Tuple.of(2, Arbitraries.of(TEMPLATES)))
                .list().ofMinSize(1).ofMaxSize(40);
    }

    /** Ring positions to start at: the start, just before the wrap point of two pages, anywhere. */
    @Provide
    Arbitrary<Long> starts() {
        return Arbitraries.oneOf(Arbitraries.of(0L, 2L * RingWriter.PAGE - 8, 2L * RingWriter.PAGE - 64),
                Arbitraries.longs().between(0, 1 << 20).map(v -> v & ~7L));
    }

    /** Bodies are padded to 8 bytes as the kernel pads records. */
    private static byte[] pad(byte[] body) {
        return java.util.Arrays.copyOf(body, (body.length + 7) & ~7);
    }
}
