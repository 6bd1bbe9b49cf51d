package org.fleettap.agent.unwind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unwinds real stops of the fixtures from gdb's registers, stack dump and mappings, and compares with gdb's bt. */
class UnwinderGdbTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void needGdb() {
        assumeTrue(GdbOracle.available(), "gdb is not installed");
    }

    @Test
    void threadsNofpInsideLibcFutexWait() throws Exception {
        GdbOracle.Snapshot s = GdbOracle.inMutexFutexWait(dir, Fixtures.path("threads-nofp"), "4 100000");
        UnwindResult r = check("threads-nofp futex wait", s, List.of());
        assertThat(s.frames()).extracting(GdbOracle.GdbFrame::name).contains("run", "start_thread");
        assertThat(r.frames()).hasSizeGreaterThanOrEqualTo(5);
    }

    @Test
    void stateNofpInSetState() throws Exception {
        Path input = dir.resolve("input.txt");
        Files.writeString(input, "NAME\n  -v verbose\n\nDESCRIPTION\n");
        GdbOracle.Snapshot s = GdbOracle.atBreakpoint(dir, Fixtures.path("state-nofp"), "ManProcessor::setState",
                "< " + input);
        check("state-nofp ManProcessor::setState", s, List.of());
    }

    @Test
    void linesO2InRender() throws Exception {
        GdbOracle.Snapshot s = GdbOracle.atBreakpoint(dir, Fixtures.path("lines-O2"), "render", "");
        check("lines-O2 render", s, List.of());
    }

    @Test
    void linesO2InTheMiddleOfParse() throws Exception {
        GdbOracle.Snapshot s = GdbOracle.atBreakpoint(dir, Fixtures.path("lines-O2"), "lines.c:28", "");
        check("lines-O2 parse (lines.c:28)", s, List.of());
    }

    @Test
    void linesWithFramePointersWithoutItsCfi() throws Exception {
        GdbOracle.Snapshot s = GdbOracle.atBreakpoint(dir, Fixtures.path("lines"), "render", "");
        check("lines (-O0, FP) render, CFI hidden: rbp chain", s, List.of("/lines"));
    }

    @Test
    void stopsCleanlyWhenTheStackCopyIsShort() throws Exception {
        GdbOracle.Snapshot s = GdbOracle.inMutexFutexWait(dir, Fixtures.path("threads-nofp"), "4 100000");
        ModuleMap modules = GdbOracle.modules(s.mappings(), List.of());
        UnwindResult r = new Unwinder(modules).unwind(s.regs(), s.stack().duplicate().limit(64));
        assertThat(r.stop()).isEqualTo(StopReason.OUTSIDE_STACK_COPY);
        assertThat(s.framePcs()).startsWith(r.frames().toArray(Long[]::new));
        UnwindResult two = new Unwinder(modules, 2).unwind(s.regs(), s.stack());
        assertThat(two.stop()).isEqualTo(StopReason.MAX_DEPTH);
        assertThat(two.frames()).containsExactlyElementsOf(s.framePcs().subList(0, 2));
    }

    private static UnwindResult check(String what, GdbOracle.Snapshot s, List<String> withoutCfi) throws Exception {
        ModuleMap modules = GdbOracle.modules(s.mappings(), withoutCfi);
        UnwindResult r = new Unwinder(modules).unwind(s.regs(), s.stack());
        System.out.printf("%s: stack copy %d bytes%ngdb:%n%sours (%s%s):%n%s", what, s.stack().remaining(),
                s.describe(), r.stop(), r.detail().isEmpty() ? "" : ": " + r.detail(),
                r.frames().stream().map(pc -> String.format("  0x%x%n", pc)).reduce("", String::concat));
        assertThat(r.frames()).as(what).containsExactlyElementsOf(s.framePcs());
        assertThat(r.stop()).as(what + ": " + r.detail()).isEqualTo(StopReason.END_OF_STACK);
        return r;
    }
}
