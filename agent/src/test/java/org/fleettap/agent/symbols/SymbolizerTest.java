package org.fleettap.agent.symbols;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.elf.ElfSymbol;
import org.fleettap.agent.elf.ProgramHeader;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Symbolization of runtime addresses against addr2line on the same link-time addresses. */
class SymbolizerTest {
    private static final long BASE = 0x7f1234000000L;
    private static final int PID = 999_999_999; // a pid that cannot exist: only the mappings we feed are known

    /** Maps every executable PT_LOAD of {@code bin} at BASE (+ vaddr for PIE), as the loader would. */
    private static long map(ModuleTracker tracker, Path bin, ElfFile elf) {
        long bias = elf.type() == org.fleettap.agent.elf.ElfType.DYN ? BASE : 0;
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

    @ParameterizedTest(name = "{0} (symbols from {1})")
    @CsvSource({"lines, lines", "lines-O2, lines-O2", "loop-dwarf4, loop-dwarf4", "loop-gz, loop-gz",
            "loop-split, loop-split.debug", "state, state", "libfixturelib.so, libfixturelib.so",
            "lines-clang, lines-clang", "lines-clang-O2, lines-clang-O2", "state-clang, state-clang"})
    void agreesWithAddr2lineOnEveryFunction(String fixture, String symbolsFrom) throws Exception {
        Path bin = Fixtures.path(fixture);
        ElfFile elf = ElfFiles.map(bin);
        ElfFile symbols = ElfFiles.map(Fixtures.path(symbolsFrom));
        ModuleTracker tracker = new ModuleTracker(new ModuleCache());
        long bias = map(tracker, bin, elf);
        Symbolizer symbolizer = new Symbolizer(tracker, DebugFiles.system());

        List<Long> addrs = new ArrayList<>();
        for (ElfSymbol s : symbols.functions()) {
            if (s.isDefined() && s.value() != 0 && s.size() > 0 && s.table() == ElfSymbol.Table.SYMTAB) {
                addrs.add(s.value());
                addrs.add(s.value() + s.size() / 2);
            }
        }
        // addr2line -a -f -i: per address its header, then (function, file:line) from the innermost inlined
        // function out. The symbolizer names the outermost (the symbol, as stap's usymname) and the line of the
        // innermost (the code really at the address).
        List<String> cmd = new ArrayList<>(List.of("addr2line", "-a", "-f", "-i", "-e",
                Fixtures.path(symbolsFrom).toString()));
        addrs.forEach(a -> cmd.add("0x" + Long.toHexString(a)));
        List<List<String>> answers = new ArrayList<>();
        for (String l : Fixtures.run(cmd).split("\n")) {
            if (l.startsWith("0x") && l.length() == 18) {
                answers.add(new ArrayList<>());
            } else {
                answers.get(answers.size() - 1).add(l);
            }
        }
        assertThat(answers).hasSize(addrs.size());
        int withLines = 0;
        for (int i = 0; i < addrs.size(); i++) {
            List<String> a = answers.get(i);
            Symbolizer.Frame f = symbolizer.symbolize(PID, bias + addrs.get(i));
            String what = fixture + " 0x" + Long.toHexString(addrs.get(i));
            assertThat(f.module()).as(what).isEqualTo(bin);
            assertThat(f.linkTimeAddress()).as(what).isEqualTo(addrs.get(i));
            assertThat(f.name()).as(what).isEqualTo(a.get(a.size() - 2));
            String fileLine = a.get(1).replaceAll(" \\(discriminator \\d+\\)", "");
            if (!fileLine.startsWith("??")) {
                int colon = fileLine.lastIndexOf(':');
                String base = fileLine.substring(fileLine.lastIndexOf('/', colon) + 1);
                assertThat(f.fileLine()).as(what).isEqualTo(base);
                withLines++;
            }
        }
        assertThat(withLines).as("addresses with lines in %s", fixture).isPositive();
    }
}
