package org.fleettap.agent.dwarf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every row of the fixtures' line tables against {@code readelf --debug-dump=decodedline}. */
final class LineTableReadelfTest {
    /** One row as readelf prints it: the file block it is in, the row's file name, line ("-" at a sequence end). */
    record ReadelfRow(String blockPath, String name, String line, long address, boolean isStmt) {
        boolean endSequence() {
            return line.equals("-");
        }
    }

    static Stream<String> fixtures() {
        return Stream.of("lines-clang", "lines-clang-O2", "state-clang", "loop-clang-dwarf4", "loop", "loop-O2", "loop-dwarf4", "loop-gz", "loop-split.debug", "lines", "lines-O2",
                "state", "state-O2", "libfixturelib.so");
    }

    /** The rows readelf -W --debug-dump=decodedline prints for {@code binary}, in its order. */
    static List<ReadelfRow> readelfRows(Path binary) {
        String out = Fixtures.run("readelf", "-W", "--debug-dump=decodedline", binary.toString());
        List<ReadelfRow> rows = new ArrayList<>();
        String block = null;
        for (String text : out.split("\n")) {
            if (text.isBlank() || text.startsWith("Contents of") || text.startsWith("File name ")) {
                continue;
            }
            if (text.endsWith(":")) {
                block = text.substring(text.startsWith("CU: ") ? 4 : 0, text.length() - 1);
                continue;
            }
            String[] f = text.trim().split("\\s+");
            assertThat(f.length).as("readelf row %s", text).isBetween(3, 5);
            boolean stmt = f[f.length - 1].equals("x");
            rows.add(new ReadelfRow(block, f[0], f[1], Long.decode(f[2]), stmt));
        }
        return rows;
    }

    static LineTable table(String fixture) throws Exception {
        return LineTable.of(new DwarfSections(ElfFiles.map(Fixtures.path(fixture))));
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void everyRowMatchesReadelf(String fixture) throws Exception {
        List<ReadelfRow> expected = readelfRows(Fixtures.path(fixture));
        List<LineRow> actual = table(fixture).rows();

        assertThat(expected).isNotEmpty();
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            ReadelfRow want = expected.get(i);
            LineRow got = actual.get(i);
            String where = fixture + " row " + i + " " + want + " vs " + got;
            assertThat(got.address()).as(where).isEqualTo(want.address());
            assertThat(got.endSequence()).as(where).isEqualTo(want.endSequence());
            if (!want.endSequence()) {
                assertThat(Integer.toString(got.line())).as(where).isEqualTo(want.line());
                assertThat(got.isStmt()).as(where).isEqualTo(want.isStmt());
                assertThat(got.file()).as(where).endsWith("/" + want.name());
                if (want.blockPath().endsWith("/" + want.name())) {
                    // readelf names the block's file only after DW_LNS_set_file, so a block may hold other files
                    assertThat(got.file()).as(where).endsWith(want.blockPath());
                }
            }
        }
    }

    @Test
    void dwarf5PathsAreAbsoluteThroughTheCompilationDirectory() throws Exception {
        assertThat(table("loop").files()).containsExactly(
                "/work/main/agent/src/test/c/../../../../examples/loop.c".replace("/work/main/agent",
                        Fixtures.path("loop").getParent().getParent().getParent().toString()));
        assertThat(table("lines-O2").files()).containsExactlyInAnyOrder("/usr/include/stdlib.h",
                Fixtures.path("lines").getParent().getParent().getParent().resolve("src/test/c/lines.c").toString());
    }

    @Test
    void dwarf4PathsUseTheCompilationDirectoryWhenGiven() throws Exception {
        DwarfSections sections = new DwarfSections(ElfFiles.map(Fixtures.path("loop-dwarf4")));
        assertThat(LineTable.of(sections).files()).containsExactly("../../../../examples/loop.c");
        assertThat(LineTable.of(sections, Map.of(0L, "/build")).files())
                .containsExactly("/build/../../../../examples/loop.c");
    }

    @Test
    void fileWithoutLineTableHasNoRows() throws Exception {
        LineTable t = table("many");
        assertThat(t.rows()).isEmpty();
        assertThat(t.files()).isEmpty();
        assertThat(t.lookup(0x1139)).isEmpty();
    }
}
