package org.fleettap.agent.dwarf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.agent.testing.Mutation;

/**
 * Fuzzes the DWARF readers with mutations of the fixtures' real debug sections (DWARF 4 and 5, gcc and clang):
 * .debug_info, .debug_abbrev, .debug_line, .debug_str, .debug_line_str, .debug_str_offsets, .debug_addr,
 * .debug_loclists, .debug_rnglists. Each mutant is read through everything the agent asks of debug information
 * (functions, parameters, types, locations, line tables); the only failure allowed is a
 * {@link DwarfFormatException} with a one-line message. Tries: {@code -Dfuzz.tries} (docs/fuzzing.md).
 */
final class DwarfFuzzTest {
    /** One debug section of one fixture, and its original bytes. */
    record Target(String fixture, String section, DwarfSections sections, byte[] bytes) {
        @Override
        public String toString() {
            return fixture + " " + section;
        }
    }

    private static final List<Target> TARGETS = readTargets();

    private static List<Target> readTargets() {
        List<Target> out = new ArrayList<>();
        for (String fixture : List.of("lines-clang-O2", "state-O2", "loop-dwarf4", "libfixturelib.so")) {
            DwarfSections sections = DebugInfos.sections(Fixtures.path(fixture));
            for (String name : List.of(".debug_info", ".debug_abbrev", ".debug_line", ".debug_str",
                    ".debug_line_str", ".debug_str_offsets", ".debug_addr", ".debug_loclists", ".debug_rnglists")) {
                try {
                    Optional<ByteBuffer> b = sections.section(name);
                    if (b.isPresent()) {
                        byte[] bytes = new byte[b.get().remaining()];
                        b.get().duplicate().get(bytes);
                        out.add(new Target(fixture, name, sections, bytes));
                    }
                } catch (DwarfFormatException e) {
                    throw new IllegalStateException(fixture + " " + name, e);
                }
            }
        }
        return List.copyOf(out);
    }

    @Property
    void mutatedSections(@ForAll("targets") Target target,
            @ForAll(supplier = Mutation.Edits.class) List<Mutation> edits) throws Exception {
        byte[] mutant = Mutation.applyAll(target.bytes(), edits);
        String what = target + " " + edits;
        CorruptDebugInfoTest.exercise(target.sections(), Map.of(target.section(), ByteBuffer.wrap(mutant)), what);
        lineTable(target, mutant, what);
    }

    /** The line tables with the mutant in place of its section (only line and string sections matter to them). */
    private static void lineTable(Target target, byte[] mutant, String what) throws DwarfFormatException {
        Map<String, Optional<ByteBuffer>> s = new HashMap<>();
        for (String name : List.of(".debug_line", ".debug_line_str", ".debug_str", ".debug_str_offsets")) {
            s.put(name, name.equals(target.section()) ? Optional.of(ByteBuffer.wrap(mutant))
                    : target.sections().section(name));
        }
        if (s.get(".debug_line").isEmpty()) {
            return;
        }
        LineStrings strings = new LineStrings(s.get(".debug_line_str"), s.get(".debug_str"),
                s.get(".debug_str_offsets"));
        LineTable table = LineTable.of(s.get(".debug_line").get(), strings, Map.of());
        try {
            List<LineRow> rows = table.rows();
            table.files();
            for (int i = 0; i < rows.size(); i += 1 + rows.size() / 16) {
                table.lookup(rows.get(i).address());
            }
            new SourceLines(table).statements(LineSpec.parse("*@lines.c:25"));
        } catch (DwarfFormatException | LineNotFoundException e) {
            assertThat(e.getMessage()).as(what).isNotBlank().doesNotContain("\n");
        }
    }

    /**
     * Regression (found by {@link #mutatedSections}): a path in .debug_line_str with a newline went verbatim into the
     * "no source file matches" message, splitting it over two lines.
     */
    @Example
    void pathWithANewlineIsEscapedInTheMessage() throws Exception {
        Target target = TARGETS.stream().filter(t -> t.fixture().equals("lines-clang-O2")
                && t.section().equals(".debug_line_str")).findFirst().orElseThrow();
        byte[] mutant = new byte[target.bytes().length + 1];
        mutant[0] = '\n';
        System.arraycopy(target.bytes(), 0, mutant, 1, target.bytes().length);
        LineStrings strings = new LineStrings(Optional.of(ByteBuffer.wrap(mutant)),
                target.sections().section(".debug_str"), target.sections().section(".debug_str_offsets"));
        LineTable table = LineTable.of(target.sections().section(".debug_line").orElseThrow(), strings, Map.of());

        assertThatThrownBy(() -> new SourceLines(table).statements(LineSpec.parse("*@nosuchfile.c:25")))
                .isInstanceOf(LineNotFoundException.class)
                .hasMessageStartingWith("no source file matches nosuchfile.c; closest known files: ")
                .hasMessageContaining("\\x0a/")
                .hasMessageNotContaining("\n");
    }

    /**
     * Regression (found by {@link #mutatedSections}): a DWARF 4 file name with a newline went verbatim into "file F
     * names directory N of M". Messages of {@link DwarfFormatException} now escape control characters; the edits
     * that found it are replayed as they were.
     */
    @Example
    void fileNameWithANewlineInALineTableErrorIsEscaped() throws Exception {
        assertThat(new DwarfFormatException(".debug_line+0x38: file \n../examples names directory 47 of 0"))
                .hasMessage(".debug_line+0x38: file \\x0a../examples names directory 47 of 0");
        Target target = TARGETS.stream().filter(t -> t.fixture().equals("loop-dwarf4")
                && t.section().equals(".debug_line")).findFirst().orElseThrow();
        mutatedSections(target, List.of(new Mutation.Duplicate(0, 11, 88), new Mutation.Duplicate(3869079, 4, 27)));
    }

    @Property
    void randomLocationExpressions(@ForAll @Size(max = 64) byte[] bytes) {
        try {
            for (LocationOp op : new LocationExpression(bytes).ops()) {
                assertThat(op.offset()).isBetween(0, bytes.length - 1);
            }
        } catch (DwarfFormatException e) {
            assertThat(e.getMessage()).isNotBlank().doesNotContain("\n");
        }
    }

    @Provide
    Arbitrary<Target> targets() {
        return Arbitraries.of(TARGETS);
    }
}
