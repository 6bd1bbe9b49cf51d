package org.fleettap.agent.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Time-ordered merging of per-CPU ring buffers with a bounded reorder window. */
class CpuMergerTest {
    private static final long ID = 3;
    private static final long UNTIMED_ID = 4;

    private final IdRegistry registry = new IdRegistry();
    private final RecordCounters counters = new RecordCounters();
    private final List<String> seen = new ArrayList<>();
    private final RecordConsumer collect = r -> seen.add(r.cpu() + "@" + r.time());

    CpuMergerTest() {
        registry.register(ID, SampleFormat.of(RingWriter.UPROBE_TYPE, X86Reg.mask(X86Reg.DI), true), 0);
    }

    private List<RingWriter> writers(int cpus) {
        List<RingWriter> ws = new ArrayList<>();
        for (int i = 0; i < cpus; i++) {
            ws.add(RingWriter.sized(1024, i % 2 == 0));
        }
        return ws;
    }

    private CpuMerger merger(List<RingWriter> ws, long window) {
        List<RingBuffer> rbs = new ArrayList<>();
        for (RingWriter w : ws) {
            rbs.add(new RingBuffer(w.region, RingWriter.PAGE, registry, counters));
        }
        return new CpuMerger(rbs, window);
    }

    private static void sample(RingWriter w, int cpu, long time) {
        w.append(RecordType.SAMPLE, 0, RingWriter.uprobeSample(ID, 1, 1, time, cpu, 0)).publish();
    }

    @Test
    void interleavedCpusComeOutInTimeOrderAsFarAsItIsSafe() {
        List<RingWriter> ws = writers(3);
        for (long t : new long[] {10, 40, 70}) {
            sample(ws.get(0), 0, t);
        }
        for (long t : new long[] {20, 50}) {
            sample(ws.get(1), 1, t);
        }
        for (long t : new long[] {30, 60, 90}) {
            sample(ws.get(2), 2, t);
        }
        CpuMerger m = merger(ws, 100);
        // Nothing is older than now - window, so only what every CPU vouches for goes out: CPU 1 runs dry after 50.
        assertThat(m.poll(0, collect)).isEqualTo(5);
        assertThat(seen).containsExactly("0@10", "1@20", "2@30", "0@40", "1@50");
        // Tails: CPU 0 consumed two records, CPU 1 all, CPU 2 one.
        assertThat(ws.get(0).tail()).isEqualTo(2 * 56);
        assertThat(ws.get(1).tail()).isEqualTo(ws.get(1).head());
        assertThat(ws.get(2).tail()).isEqualTo(56);
        // At 165 with a 100 ns window, records older than 65 are safe: 60 goes, 70 is held.
        seen.clear();
        assertThat(m.poll(165, collect)).isEqualTo(1);
        assertThat(seen).containsExactly("2@60");
        seen.clear();
        assertThat(m.flush(collect)).isEqualTo(2);
        assertThat(seen).containsExactly("0@70", "2@90");
        for (RingWriter w : ws) {
            assertThat(w.tail()).isEqualTo(w.head());
        }
    }

    @Test
    void aRecentRecordWaitsForTheOtherCpusToCatchUp() {
        List<RingWriter> ws = writers(2);
        sample(ws.get(0), 0, 100);
        CpuMerger m = merger(ws, 50);
        assertThat(m.poll(120, collect)).isZero();
        assertThat(ws.get(0).tail()).isZero();
        // The other CPU then publishes an older event: it must come first.
        sample(ws.get(1), 1, 90);
        assertThat(m.poll(130, collect)).isEqualTo(1);
        assertThat(seen).containsExactly("1@90");
        // 100 is still within the window of now=149 (limit 99) ...
        assertThat(m.poll(149, collect)).isZero();
        // ... and leaves once older than now - window.
        assertThat(m.poll(151, collect)).isEqualTo(1);
        assertThat(seen).containsExactly("1@90", "0@100");
    }

    @Test
    void equalTimestampsGoInCpuOrder() {
        List<RingWriter> ws = writers(3);
        sample(ws.get(2), 2, 5);
        sample(ws.get(0), 0, 5);
        sample(ws.get(1), 1, 5);
        merger(ws, 0).flush(collect);
        assertThat(seen).containsExactly("0@5", "1@5", "2@5");
    }

    @Test
    void recordsWithoutTimeAreDeliveredImmediately() {
        registry.register(UNTIMED_ID, SampleFormat.of(SampleType.IDENTIFIER | SampleType.TID, 0, false), 0);
        List<RingWriter> ws = writers(2);
        sample(ws.get(0), 0, 100);
        ws.get(0).append(RecordType.SAMPLE, 0, RingWriter.body().u64(UNTIMED_ID).u32(8).u32(8).toArray()).publish();
        ws.get(1).append(RecordType.SAMPLE, 0, RingWriter.body().u64(UNTIMED_ID).u32(9).u32(9).toArray()).publish();
        sample(ws.get(1), 1, 200);
        List<String> out = new ArrayList<>();
        CpuMerger m = merger(ws, 1_000);
        // CPU 1's untimed record is at its front: out at once. 100 is safe (both CPUs have a record), and once it is
        // taken CPU 0's untimed record is at the front and goes out too. 200 is held (CPU 0 is empty).
        m.poll(0, r -> out.add(r.hasTime() ? "t" + r.time() : "tid" + r.tid()));
        assertThat(out).containsExactly("tid9", "t100", "tid8");
        m.flush(r -> out.add(r.hasTime() ? "t" + r.time() : "tid" + r.tid()));
        assertThat(out).containsExactly("tid9", "t100", "tid8", "t200");
    }

    @Test
    void nonSampleRecordsAreMergedByTheirSampleIdTime() {
        List<RingWriter> ws = writers(2);
        sample(ws.get(0), 0, 10);
        sample(ws.get(0), 0, 30);
        ws.get(1).append(RecordType.COMM, RecordType.MISC_COMM_EXEC, RingWriter.body().u32(1).u32(1).cstring("ls")
                .sampleId(RingWriter.UPROBE_TYPE, 1, 1, 20, ID, 0, 1).toArray()).publish();
        ws.get(1).append(RecordType.LOST, 0, RingWriter.body().u64(ID).u64(2)
                .sampleId(RingWriter.UPROBE_TYPE, 1, 1, 40, ID, 0, 1).toArray()).publish();
        merger(ws, 10).flush(r -> seen.add(RecordType.name(r.type()) + "@" + r.time()));
        assertThat(seen).containsExactly("SAMPLE@10", "COMM@20", "SAMPLE@30", "LOST@40");
        assertThat(counters.lost()).isEqualTo(2);
    }

    @Test
    void fourCpusRandomlyInterleavedMergeIntoOneSortedStream() {
        Random random = new Random(42);
        List<RingWriter> ws = writers(4);
        CpuMerger m = merger(ws, 1_000);
        long[] clock = new long[4];
        List<long[]> expected = new ArrayList<>();
        List<String> got = new ArrayList<>();
        RecordConsumer into = r -> got.add(r.time() + "@" + r.cpu());
        long now = 0;
        for (int round = 0; round < 300; round++) {
            // Each CPU publishes a few records, with timestamps a little behind "now" as real CPUs do.
            for (int cpu = 0; cpu < 4; cpu++) {
                int k = random.nextInt(4);
                for (int j = 0; j < k && ws.get(cpu).free() >= 56; j++) {
                    clock[cpu] = Math.max(clock[cpu] + 1, now - random.nextInt(500));
                    sample(ws.get(cpu), cpu, clock[cpu]);
                    expected.add(new long[] {clock[cpu], cpu});
                }
            }
            now += 100;
            m.poll(now, into);
        }
        m.flush(into);
        expected.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
        assertThat(expected).hasSizeGreaterThan(1000);
        assertThat(got).containsExactlyElementsOf(expected.stream().map(e -> e[0] + "@" + e[1]).toList());
        assertThat(counters.records()).isEqualTo(expected.size());
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> new CpuMerger(List.of(), 1)).isInstanceOf(IllegalArgumentException.class);
        List<RingWriter> ws = writers(1);
        assertThatThrownBy(() -> merger(ws, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(merger(ws, 7).size()).isEqualTo(1);
    }
}
