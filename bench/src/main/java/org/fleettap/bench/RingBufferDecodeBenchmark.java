package org.fleettap.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fleettap.agent.perf.CpuMerger;
import org.fleettap.agent.perf.IdRegistry;
import org.fleettap.agent.perf.PerfRecord;
import org.fleettap.agent.perf.RecordConsumer;
import org.fleettap.agent.perf.RecordCounters;
import org.fleettap.agent.perf.RecordType;
import org.fleettap.agent.perf.RingBuffer;
import org.fleettap.agent.perf.SampleFormat;
import org.fleettap.agent.perf.SampleType;
import org.fleettap.agent.perf.X86Reg;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Decoding uprobe-like samples (IDENTIFIER|TID|TIME|CPU|REGS_USER with SI, DI, IP) out of a perf ring buffer laid out
 * as the kernel writes it, with a consumer that reads the fields a handler would. Scores are samples per second.
 * Each invocation plays the kernel by moving data_head one full lap ahead; the lap's content is the same every time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RingBufferDecodeBenchmark {
    private static final int PAGE = 4096;
    private static final int DATA_SIZE = 1 << 20;
    private static final long ID = 4242;
    private static final long SAMPLE_TYPE = SampleType.IDENTIFIER | SampleType.TID | SampleType.TIME
            | SampleType.CPU | SampleType.REGS_USER;
    private static final long REGS = X86Reg.mask(X86Reg.SI, X86Reg.DI, X86Reg.IP);
    /** header + identifier + pid/tid + time + cpu/res + abi + 3 registers. */
    private static final int SAMPLE_SIZE = 8 + 8 + 8 + 8 + 8 + 8 + 3 * 8;
    private static final int SAMPLES_PER_LAP = DATA_SIZE / SAMPLE_SIZE;
    private static final int CPUS = 4;

    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private ByteBuffer region;
    private RingBuffer ring;
    private ByteBuffer[] cpuRegions;
    private CpuMerger merger;
    private RecordCounters counters;
    private Sink sink;

    /** What a compiled handler would read from a uprobe hit. */
    private static final class Sink implements RecordConsumer {
        private final Blackhole bh;

        Sink(Blackhole bh) {
            this.bh = bh;
        }

        @Override
        public void accept(PerfRecord r) {
            bh.consume(r.cookie());
            bh.consume(r.tid());
            bh.consume(r.time());
            bh.consume(r.cpu());
            bh.consume(r.userReg(X86Reg.DI));
        }
    }

    @Setup
    public void setUp(Blackhole bh) {
        IdRegistry registry = new IdRegistry();
        registry.register(ID, SampleFormat.of(SAMPLE_TYPE, REGS, true), 1);
        counters = new RecordCounters();
        region = lap(0, 1);
        ring = new RingBuffer(region, PAGE, registry, counters);
        cpuRegions = new ByteBuffer[CPUS];
        List<RingBuffer> rings = new ArrayList<>();
        for (int cpu = 0; cpu < CPUS; cpu++) {
            cpuRegions[cpu] = lap(cpu, CPUS);
            rings.add(new RingBuffer(cpuRegions[cpu], PAGE, registry, counters));
        }
        merger = new CpuMerger(rings, 1_000_000);
        sink = new Sink(bh);
    }

    /**
     * A region (metadata page + 1 MiB data) holding one lap of samples of CPU {@code cpu} whose timestamps step by
     * {@code stride}, the rest of the lap filled by one record of a type the decoder skips.
     */
    private static ByteBuffer lap(int cpu, int stride) {
        ByteBuffer r = ByteBuffer.allocateDirect(PAGE + DATA_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        int p = PAGE;
        for (int i = 0; i < SAMPLES_PER_LAP; i++) {
            r.putInt(p, RecordType.SAMPLE).putShort(p + 4, (short) RecordType.MISC_USER)
                    .putShort(p + 6, (short) SAMPLE_SIZE);
            r.putLong(p + 8, ID);
            r.putInt(p + 16, 1000).putInt(p + 20, 1000 + i % 8);
            r.putLong(p + 24, 1_000_000L + (long) i * stride + cpu);
            r.putInt(p + 32, cpu).putInt(p + 36, 0);
            r.putLong(p + 40, SampleType.REGS_ABI_64);
            r.putLong(p + 48, 0x5000 + i).putLong(p + 56, 0xd000 + i).putLong(p + 64, 0x401136);
            p += SAMPLE_SIZE;
        }
        int filler = PAGE + DATA_SIZE - p;
        if (filler > 0) {
            r.putInt(p, RecordType.SWITCH).putShort(p + 4, (short) 0).putShort(p + 6, (short) filler);
        }
        return r;
    }

    /** The kernel's side: one more lap published. */
    private static void publishLap(ByteBuffer region) {
        long head = (long) LONGS.getAcquire(region, 1024);
        LONGS.setRelease(region, 1024, head + DATA_SIZE);
    }

    @Benchmark
    @OperationsPerInvocation(SAMPLES_PER_LAP)
    public int drainOneCpu() {
        publishLap(region);
        return ring.drain(sink);
    }

    @Benchmark
    @OperationsPerInvocation(SAMPLES_PER_LAP * CPUS)
    public int mergeFourCpus() {
        for (ByteBuffer r : cpuRegions) {
            publishLap(r);
        }
        return merger.flush(sink);
    }
}
