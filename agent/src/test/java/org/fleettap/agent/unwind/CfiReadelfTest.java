package org.fleettap.agent.unwind;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.elf.Section;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Parses the CFI of the fixtures and of libc and checks every FDE and every row against readelf's. */
class CfiReadelfTest {
    static final Path LIBC = Path.of("/usr/lib/x86_64-linux-gnu/libc.so.6");

    static Stream<String> fixtures() {
        return Stream.of("threads-nofp", "state-nofp", "lines-O2", "lines", "loop", "threads", "libfixturelib.so");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void fixtureRowsMatchReadelf(String name) throws Exception {
        Path p = Fixtures.path(name);
        assertRowsMatchReadelf(p, ElfFiles.map(p), ".eh_frame");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void everyFixtureFunctionStartsWithCfaRspPlus8(String name) throws Exception {
        ElfFile elf = ElfFiles.map(Fixtures.path(name));
        FrameSection eh = CallFrameInfo.of(elf).sections().get(0);
        List<Section> plt = elf.sections().stream().filter(s -> s.name().startsWith(".plt")).toList();
        int checked = 0;
        for (Fde fde : eh.fdes()) {
            boolean inPlt = plt.stream().anyMatch(s -> fde.pcBegin() >= s.addr() && fde.pcBegin() < s.addr() + s.size());
            UnwindRow row = CfiProgram.row(eh, fde, fde.pcBegin());
            boolean cold = elf.functions().stream()
                    .anyMatch(f -> f.value() == fde.pcBegin() && f.name().contains(".cold"));
            if (inPlt || cold) {
                continue; // PLT0 has already pushed (rsp+16); a .cold part starts inside its function's frame
            }
            assertThat(row.cfa()).as("FDE at 0x%x", fde.offset())
                    .contains(new CfaRule.RegisterOffset(X86DwarfRegs.RSP, 8));
            assertThat(row.rules()).containsEntry(X86DwarfRegs.RA, fde.contains(elf.entry())
                    ? new RegisterRule.Undefined() // _start: the outermost frame
                    : new RegisterRule.Offset(-8));
            checked++;
        }
        assertThat(checked).isPositive();
    }

    @Test
    void libcRowsMatchReadelfAndTheSearchTableAgreesWithTheIndex() throws Exception {
        ElfFile elf = ElfFiles.map(LIBC);
        List<ReadelfFrames.Fde> expected = assertRowsMatchReadelf(LIBC, elf, ".eh_frame");
        assertThat(expected).hasSizeGreaterThan(1000);
        FrameSection withHdr = CallFrameInfo.of(elf).sections().get(0);
        assertThat(withHdr.hasSearchTable()).isTrue();
        Section eh = elf.section(".eh_frame").orElseThrow();
        FrameSection noHdr = FrameSection.ehFrame(elf.contents(eh), eh.addr(), 0, 0, Optional.empty());
        for (ReadelfFrames.Fde f : expected) {
            for (long pc : new long[] {f.begin(), (f.begin() + f.end()) / 2, f.end() - 1}) {
                if (f.end() == f.begin()) {
                    continue;
                }
                assertThat(withHdr.find(pc).map(Fde::offset)).as("pc 0x%x", pc).contains(f.offset());
                assertThat(noHdr.find(pc).map(Fde::offset)).as("pc 0x%x", pc).contains(f.offset());
            }
        }
    }

    @Test
    void libcSignalTrampolineIsASignalFrameWithExpressions() throws Exception {
        ElfFile elf = ElfFiles.map(LIBC);
        FrameSection eh = CallFrameInfo.of(elf).sections().get(0);
        List<Fde> signal = eh.fdes().stream().filter(f -> f.cie().signalFrame()).toList();
        assertThat(signal).hasSize(1); // __restore_rt, the sigaction restorer ("zRS")
        UnwindRow row = CfiProgram.row(eh, signal.get(0), signal.get(0).pcBegin() + 1);
        assertThat(row.signalFrame()).isTrue();
        assertThat(row.cfa()).get().isInstanceOf(CfaRule.Expression.class);
        assertThat(row.rules().get(X86DwarfRegs.RA)).isInstanceOf(RegisterRule.Expression.class);
    }

    @Test
    void debugFrameOfAProgramBuiltWithoutUnwindTables(@TempDir Path dir) throws Exception {
        Path bin = dir.resolve("lines-debug-frame");
        Fixtures.run("gcc", "-g", "-O2", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-o",
                bin.toString(), Path.of("src/test/c/lines.c").toAbsolutePath().toString());
        ElfFile elf = ElfFiles.map(bin);
        CallFrameInfo cfi = CallFrameInfo.of(elf);
        assertThat(cfi.sections()).extracting(FrameSection::name).containsExactly(".eh_frame", ".debug_frame");
        List<ReadelfFrames.Fde> fdes = assertRowsMatchReadelf(bin, elf, ".debug_frame");
        assertThat(fdes).isNotEmpty();
        long render = elf.functionsNamed("render").get(0).value();
        assertThat(cfi.sections().get(0).find(render)).isEmpty();
        assertThat(cfi.row(render).orElseThrow().cfa()).contains(new CfaRule.RegisterOffset(X86DwarfRegs.RSP, 8));
    }

    /** Every FDE readelf lists is ours too (offset, CIE, range), and our row at each of its LOCs prints the same. */
    private static List<ReadelfFrames.Fde> assertRowsMatchReadelf(Path binary, ElfFile elf, String section)
            throws DwarfFormatException {
        FrameSection s = CallFrameInfo.of(elf).sections().stream().filter(f -> f.name().equals(section))
                .findFirst().orElseThrow();
        List<ReadelfFrames.Fde> expected = ReadelfFrames.fdes(binary, section);
        List<Fde> ours = s.fdes();
        assertThat(ours).extracting(Fde::offset)
                .containsExactlyElementsOf(expected.stream().map(ReadelfFrames.Fde::offset).toList());
        List<String> mismatches = new ArrayList<>();
        int rows = 0;
        for (int i = 0; i < ours.size(); i++) {
            Fde fde = ours.get(i);
            ReadelfFrames.Fde want = expected.get(i);
            assertThat(List.of((long) fde.cie().offset(), fde.pcBegin(), fde.pcEnd())).as("FDE 0x%x", fde.offset())
                    .containsExactly((long) want.cie(), want.begin(), want.end());
            CfiProgram.rows(s, fde); // the whole table runs
            for (ReadelfFrames.Row r : want.rows()) {
                UnwindRow row = CfiProgram.row(s, fde, r.loc());
                rows++;
                StringBuilder got = new StringBuilder(ReadelfFrames.cfa(row));
                StringBuilder exp = new StringBuilder(r.cfa());
                for (Map.Entry<String, String> c : r.columns().entrySet()) {
                    int reg = c.getKey().equals("ra") ? fde.cie().returnAddressRegister()
                            : X86DwarfRegs.byName(c.getKey());
                    if (reg < 0) {
                        continue;
                    }
                    got.append(' ').append(c.getKey()).append('=').append(ReadelfFrames.rule(row, reg));
                    exp.append(' ').append(c.getKey()).append('=').append(c.getValue());
                }
                if (!got.toString().equals(exp.toString())) {
                    mismatches.add(String.format("FDE 0x%x loc 0x%x: readelf %s, ours %s", fde.offset(), r.loc(),
                            exp, got));
                }
            }
        }
        assertThat(mismatches).as("%s %s: %d rows compared", binary, section, rows).isEmpty();
        System.out.printf("%s %s: %d FDEs, %d rows match readelf%n", binary.getFileName(), section, ours.size(),
                rows);
        return expected;
    }
}
