package org.fleettap.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import org.fleettap.agent.runtime.MapDecl.ValueKind;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code m[k]++} and {@code m[k] <<< v} with long keys that already exist must not allocate per
 * call. Allocated bytes are counted by the JVM per thread, so this is deterministic, not a timing.
 */
class HotPathAllocationTest {
    private static final int CALLS = 1 << 20;
    /** A few hundred bytes of slack for the measurement itself, far below one byte per call. */
    private static final long MAX_BYTES = 4096;

    private static com.sun.management.ThreadMXBean threads;

    @BeforeAll
    static void allocationCounting() {
        threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertThat(threads.isThreadAllocatedMemorySupported()).as("per-thread allocation counting").isTrue();
        threads.setThreadAllocatedMemoryEnabled(true);
    }

    @Test
    void incrementOfALongKeyedCount_allocatesNothingPerCall() {
        StapMap m = new StapMap(MapDecl.of("calls", ValueKind.LONG, StapType.LONG));
        for (long k = 0; k < 1024; k++) {
            m.add(k, 1);
        }
        incrementLoop(m, CALLS); // warm up: JIT
        long bytes = allocatedBy(() -> incrementLoop(m, CALLS));
        assertThat(bytes).isLessThanOrEqualTo(MAX_BYTES);
        assertThat(m.getLong(5)).isEqualTo(1 + 2L * CALLS / 1024);
    }

    @Test
    void aggregateIntoALongKeyedLogHistogram_allocatesNothingPerCall() {
        StapMap m = new StapMap(MapDecl.of("lat", ValueKind.STAT, StapType.LONG).withHistogram(HistogramSpec.log()));
        for (long k = 0; k < 64; k++) {
            m.stat(k).add(k);
        }
        aggregateLoop(m, CALLS);
        long bytes = allocatedBy(() -> aggregateLoop(m, CALLS));
        assertThat(bytes).isLessThanOrEqualTo(MAX_BYTES);
        assertThat(m.statIfPresent(3).count()).isEqualTo(1 + 2L * CALLS / 64);
    }

    @Test
    void aggregateIntoAScalarLinearStatistic_allocatesNothingPerCall() {
        Stat s = new Stat(HistogramSpec.linear(0, 1000, 10));
        scalarLoop(s, CALLS);
        long bytes = allocatedBy(() -> scalarLoop(s, CALLS));
        assertThat(bytes).isLessThanOrEqualTo(MAX_BYTES);
        assertThat(s.count()).isEqualTo(2L * CALLS);
    }

    private static void incrementLoop(StapMap m, int n) {
        for (int i = 0; i < n; i++) {
            m.add(i & 1023, 1);
        }
    }

    private static void aggregateLoop(StapMap m, int n) {
        for (int i = 0; i < n; i++) {
            m.stat(i & 63).add(i * 31L);
        }
    }

    private static void scalarLoop(Stat s, int n) {
        for (int i = 0; i < n; i++) {
            s.add(i % 1200);
        }
    }

    private static long allocatedBy(Runnable r) {
        long id = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(id);
        r.run();
        return threads.getThreadAllocatedBytes(id) - before;
    }
}
