package org.fleettap.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfSymbol;
import org.fleettap.agent.elf.ElfType;
import org.fleettap.agent.elf.ProgramHeader;
import org.fleettap.agent.symbols.ModuleTracker;

/**
 * The binaries of the debug-information benchmarks. {@code -Dfleettap.big=PATH}: the program built by
 * {@code bench/scripts/gen-big-fixture.sh OUTDIR 100 50} (required); {@code -Dfleettap.libstdcxx=PATH}: a
 * libstdc++ (default: Debian's x86-64 multiarch path).
 */
final class DebugFixtures {
    static final long BASE = 0x7f1234000000L;
    /** A pid that cannot exist: only the mappings fed to the tracker are known. */
    static final int PID = 999_999_999;

    private DebugFixtures() {
    }

    static Path big() {
        String p = System.getProperty("fleettap.big");
        if (p == null || !Files.isRegularFile(Paths.get(p))) {
            throw new IllegalStateException("set -Dfleettap.big=PATH to the program built by "
                    + "bench/scripts/gen-big-fixture.sh OUTDIR 100 50 (OUTDIR/big); got " + p);
        }
        return Paths.get(p);
    }

    static Path libstdcxx() {
        Path p = Paths.get(System.getProperty("fleettap.libstdcxx", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"));
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("no libstdc++ at " + p + "; set -Dfleettap.libstdcxx=PATH");
        }
        return p;
    }

    /** Maps every executable PT_LOAD of {@code bin} at BASE (+ vaddr for PIE) for PID, as the loader would. */
    static long map(ModuleTracker tracker, Path bin, ElfFile elf) {
        long bias = elf.type() == ElfType.DYN ? BASE : 0;
        for (ProgramHeader ph : elf.programHeaders()) {
            if (ph.isLoad() && ph.isExecutable()) {
                long start = (bias + ph.vaddr()) & ~0xfffL;
                long pgoff = ph.offset() & ~0xfffL;
                long end = bias + ph.vaddr() + ph.memsz();
                tracker.onMmap(PID, start, end - start, pgoff, 5, bin.toString());
            }
        }
        return bias;
    }

    /** {@code n} link-time addresses drawn uniformly inside {@code elf}'s sized .symtab functions (fixed seed). */
    static long[] addressesInFunctions(ElfFile elf, int n) {
        List<ElfSymbol> fns = new ArrayList<>();
        for (ElfSymbol s : elf.functions()) {
            if (s.isDefined() && s.value() != 0 && s.size() > 0 && s.table() == ElfSymbol.Table.SYMTAB) {
                fns.add(s);
            }
        }
        SplittableRandom rnd = new SplittableRandom(42);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            ElfSymbol s = fns.get(rnd.nextInt(fns.size()));
            out[i] = s.value() + rnd.nextLong(s.size());
        }
        return out;
    }

    /** The names of {@code elf}'s function symbols, once each, in table order. */
    static String[] functionNames(ElfFile elf) {
        return elf.functions().stream().map(ElfSymbol::name).distinct().toArray(String[]::new);
    }
}
