package org.fleettap.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.fleettap.agent.demangle.Demangler;
import org.fleettap.agent.dwarf.DebugInfo;
import org.fleettap.agent.dwarf.DwarfSections;
import org.fleettap.agent.dwarf.LineTable;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.elf.ElfSymbol;
import org.fleettap.agent.symbols.FunctionIndex;

/**
 * Retained heap of each debug-information index once built: heap used after full GCs with the built object held,
 * minus heap used after full GCs before building it (the ELF file it is built from is held throughout, so each
 * figure is what the index adds on top of the opened file; the opened file's own figure is against nothing).
 * Each figure is the median of {@code -Dreps=N} (default 7) builds. Run with the same -Dfleettap.* properties
 * as the JMH benchmarks:
 * {@code java -Dfleettap.big=PATH -cp bench/target/benchmarks.jar org.fleettap.bench.DebugIndexMemory}.
 */
public final class DebugIndexMemory {
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private DebugIndexMemory() {
    }

    public static void main(String[] args) throws Exception {
        int reps = Integer.getInteger("reps", 7);
        Path bigPath = DebugFixtures.big();
        Path libPath = DebugFixtures.libstdcxx();
        ElfFile big = ElfFiles.map(bigPath);
        ElfFile lib = ElfFiles.map(libPath);
        System.out.printf("retained heap, median of %d builds (min-max), JVM %s, %s%n", reps,
                System.getProperty("java.vm.version"), ManagementFactory.getRuntimeMXBean().getInputArguments());
        report("big: ElfFile (ElfFiles.map: headers + symbols)", reps, () -> ElfFiles.map(bigPath));
        report("big: FunctionIndex.of", reps, () -> FunctionIndex.of(big));
        report("big: LineTable.of(...).rows()", reps, () -> {
            LineTable t = LineTable.of(new DwarfSections(big));
            t.rows();
            return t;
        });
        report("big: DebugInfo.of(...).functions()", reps, () -> {
            DebugInfo d = DebugInfo.of(new DwarfSections(big));
            d.functions();
            return d;
        });
        report("big: module (ElfFile + all three)", reps, () -> {
            ElfFile elf = ElfFiles.map(bigPath);
            DwarfSections sections = new DwarfSections(elf);
            LineTable t = LineTable.of(sections);
            t.rows();
            DebugInfo d = DebugInfo.of(sections);
            d.functions();
            return new Object[] {elf, FunctionIndex.of(elf), t, d};
        });
        report("libstdc++: ElfFile (ElfFiles.map)", reps, () -> ElfFiles.map(libPath));
        report("libstdc++: FunctionIndex.of", reps, () -> FunctionIndex.of(lib));
        report("libstdc++: demangled names (String[])", reps, () -> {
            List<String> out = new ArrayList<>();
            for (ElfSymbol s : lib.functions()) {
                Optional<String> d = Demangler.demangle(s.name());
                d.ifPresent(out::add);
            }
            return out.toArray(String[]::new);
        });
        Reference.reachabilityFence(big);
        Reference.reachabilityFence(lib);
    }

    private static void report(String what, int reps, Callable<Object> build) throws Exception {
        build.call(); // once unmeasured: loads classes, so their metadata is not counted
        long[] sizes = new long[reps];
        for (int i = 0; i < reps; i++) {
            long before = usedAfterGc();
            Object held = build.call();
            long after = usedAfterGc();
            Reference.reachabilityFence(held);
            sizes[i] = after - before;
        }
        Arrays.sort(sizes);
        System.out.printf("%-45s %8.2f MiB  (%.2f-%.2f)%n", what, mib(sizes[reps / 2]), mib(sizes[0]),
                mib(sizes[reps - 1]));
    }

    private static long usedAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(20);
            used = Math.min(used, MEMORY.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
