package org.fleettap.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fleettap.agent.demangle.Demangler;
import org.fleettap.agent.dwarf.DebugInfo;
import org.fleettap.agent.dwarf.DwarfSections;
import org.fleettap.agent.dwarf.Function;
import org.fleettap.agent.dwarf.LineRow;
import org.fleettap.agent.dwarf.LineTable;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.elf.ElfSymbol;
import org.fleettap.agent.symbols.FunctionIndex;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Indexing the debug information of one module, from fresh objects every invocation (nothing cached between
 * invocations): the big generated fixture ({@code -Dfleettap.big=PATH}, see {@link DebugFixtures}) and libstdc++'s
 * dynamic symbols. Scores are milliseconds per index built: with the default mode, warmed up (JIT-compiled); with
 * {@code -bm ss -wi 0 -i 1 -f N}, the first index built in each of N fresh JVMs (what a new agent pays per module).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class DebugIndexBenchmark {
    private Path bigPath;
    private ElfFile big;
    private ElfFile libstdcxx;

    @Setup
    public void setUp() throws Exception {
        bigPath = DebugFixtures.big();
        big = ElfFiles.map(bigPath);
        libstdcxx = ElfFiles.map(DebugFixtures.libstdcxx());
        // Fail early on a broken fixture, without running (and so warming up) any of the code measured: a
        // single-shot run (-bm ss) then times the first index of a fresh JVM.
        if (big.functions().size() < 1000 || !DebugInfo.present(new DwarfSections(big))) {
            throw new IllegalStateException(bigPath + " is not the generated big fixture");
        }
    }

    /** Opening the file: mmap, section and program headers, both symbol tables read into ElfSymbols. */
    @Benchmark
    public ElfFile bigMapElf() throws Exception {
        return ElfFiles.map(bigPath);
    }

    /** The address → function index over the symbols of an already opened file. */
    @Benchmark
    public FunctionIndex bigFunctionIndex() {
        return FunctionIndex.of(big);
    }

    /** The whole .debug_line parsed into rows and the address index. */
    @Benchmark
    public List<LineRow> bigLineTable() throws Exception {
        return LineTable.of(new DwarfSections(big)).rows();
    }

    /** Every DIE of .debug_info indexed, and the functions with code listed. */
    @Benchmark
    public List<Function> bigDebugInfo() throws Exception {
        return DebugInfo.of(new DwarfSections(big)).functions();
    }

    /** Index a module: open it, then the function index, the line table and the DIE index (as ModuleSymbols). */
    @Benchmark
    public void bigIndexModule(Blackhole bh) throws Exception {
        ElfFile elf = ElfFiles.map(bigPath);
        DwarfSections sections = new DwarfSections(elf);
        bh.consume(FunctionIndex.of(elf));
        bh.consume(LineTable.of(sections).rows());
        bh.consume(DebugInfo.of(sections).functions());
    }

    /** libstdc++: the function index over its (dynsym only) symbols. */
    @Benchmark
    public FunctionIndex libstdcxxFunctionIndex() {
        return FunctionIndex.of(libstdcxx);
    }

    /** libstdc++: the function index, and every function symbol demangled. */
    @Benchmark
    public void libstdcxxIndexAndDemangle(Blackhole bh) {
        bh.consume(FunctionIndex.of(libstdcxx));
        for (ElfSymbol s : libstdcxx.functions()) {
            bh.consume(Demangler.demangle(s.name()));
        }
    }
}
