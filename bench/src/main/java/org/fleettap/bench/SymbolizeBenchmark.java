package org.fleettap.bench;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.fleettap.agent.demangle.Demangler;
import org.fleettap.agent.dwarf.DwarfSections;
import org.fleettap.agent.dwarf.LineTable;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.symbols.DebugFiles;
import org.fleettap.agent.symbols.FunctionIndex;
import org.fleettap.agent.symbols.ModuleCache;
import org.fleettap.agent.symbols.ModuleTracker;
import org.fleettap.agent.symbols.Symbolizer;
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
 * Symbolization once indexed: {@value #N} random addresses inside the big fixture's functions (fixed seed; see
 * {@link DebugFixtures}), the module mapped at a base address for a fake pid, every index built in the setup.
 * Scores are addresses (or names) per second on one thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class SymbolizeBenchmark {
    static final int N = 4096;

    private Symbolizer symbolizer;
    private long[] runtime;
    private long[] linkTime;
    private FunctionIndex index;
    private LineTable lines;
    private String[] libstdcxxNames;

    @Setup
    public void setUp() throws Exception {
        Path bin = DebugFixtures.big();
        ElfFile elf = ElfFiles.map(bin);
        ModuleTracker tracker = new ModuleTracker(new ModuleCache());
        long bias = DebugFixtures.map(tracker, bin, elf);
        symbolizer = new Symbolizer(tracker, DebugFiles.system());
        linkTime = DebugFixtures.addressesInFunctions(elf, N);
        runtime = new long[N];
        int withLines = 0;
        for (int i = 0; i < N; i++) {
            runtime[i] = bias + linkTime[i];
            Symbolizer.Frame f = symbolizer.symbolize(DebugFixtures.PID, runtime[i]); // builds every index
            if (f.function() == null) {
                throw new IllegalStateException("no function for 0x" + Long.toHexString(linkTime[i]));
            }
            withLines += f.file() != null ? 1 : 0;
        }
        if (withLines < N * 9 / 10) {
            throw new IllegalStateException("only " + withLines + " of " + N + " addresses have lines");
        }
        index = FunctionIndex.of(elf);
        lines = LineTable.of(new DwarfSections(elf));
        lines.rows();
        libstdcxxNames = DebugFixtures.functionNames(ElfFiles.map(DebugFixtures.libstdcxx()));
        int demangled = 0;
        for (String name : libstdcxxNames) {
            demangled += Demangler.demangle(name).isPresent() ? 1 : 0;
        }
        System.out.printf("%nlibstdc++: %d distinct function names per demangle pass, %d demangled%n",
                libstdcxxNames.length, demangled);
    }

    /** Runtime address → module, function + offset, file:line (as a stack frame is printed). */
    @Benchmark
    @OperationsPerInvocation(N)
    public void symbolize(Blackhole bh) {
        for (long a : runtime) {
            Symbolizer.Frame f = symbolizer.symbolize(DebugFixtures.PID, a);
            bh.consume(f.name());
            bh.consume(f.fileLine());
        }
    }

    /** Link-time address → function symbol + offset only. */
    @Benchmark
    @OperationsPerInvocation(N)
    public void functionLookup(Blackhole bh) {
        for (long a : linkTime) {
            bh.consume(index.lookup(a));
        }
    }

    /** Link-time address → line row only. */
    @Benchmark
    @OperationsPerInvocation(N)
    public void lineLookup(Blackhole bh) throws Exception {
        for (long a : linkTime) {
            bh.consume(lines.lookup(a));
        }
    }

    /**
     * Every distinct function name of libstdc++'s dynsym demangled, per pass (the setup prints how many names a
     * pass holds: names per second = that count / time per pass).
     */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void demangleLibstdcxx(Blackhole bh) {
        for (String name : libstdcxxNames) {
            bh.consume(Demangler.demangle(name));
        }
    }
}
