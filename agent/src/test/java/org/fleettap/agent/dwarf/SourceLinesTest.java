package org.fleettap.agent.dwarf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongPredicate;
import org.fleettap.agent.dwarf.LineTableReadelfTest.ReadelfRow;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.elf.ElfSymbol;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code FUNC@lines.c:LINE} against statement addresses computed from readelf's decoded line table. */
final class SourceLinesTest {
    /** Lines of lines.c (1..63) that gcc -O0 gives code, per readelf. */
    private static final Set<Integer> O0_LINES = Set.of(23, 24, 25, 26, 27, 28, 29, 32, 33, 35, 36, 37, 38, 40, 41,
            42, 44, 46, 47, 48, 50, 51, 52, 54, 55, 56, 57, 58, 59, 61, 62, 63);

    /**
     * The statement addresses of each lines.c line from readelf's rows: per sequence, each run of consecutive rows
     * on one file and line gives the address of its first statement row.
     */
    static Map<Integer, TreeSet<Long>> expectedStatements(String fixture, LongPredicate inFunction) {
        Map<Integer, TreeSet<Long>> byLine = new TreeMap<>();
        ReadelfRow previous = null;
        boolean open = false;
        for (ReadelfRow row : LineTableReadelfTest.readelfRows(Fixtures.path(fixture))) {
            if (row.endSequence()) {
                previous = null;
                continue;
            }
            if (previous == null || !previous.line().equals(row.line()) || !previous.name().equals(row.name())) {
                open = true;
            }
            if (open && row.isStmt()) {
                open = false;
                if (row.name().equals("lines.c") && inFunction.test(row.address())) {
                    byLine.computeIfAbsent(Integer.parseInt(row.line()), l -> new TreeSet<>()).add(row.address());
                }
            }
            previous = row;
        }
        return byLine;
    }

    private static SourceLines sourceLines(String fixture) throws Exception {
        return new SourceLines(LineTableReadelfTest.table(fixture));
    }

    private static List<Long> addresses(List<LineRow> rows) {
        List<Long> out = new ArrayList<>();
        rows.forEach(r -> out.add(r.address()));
        return out;
    }

    /** The [value, value + size) of function {@code name} in {@code fixture}'s symbol table. */
    private static LongPredicate function(String fixture, String name) throws Exception {
        ElfFile elf = ElfFiles.map(Fixtures.path(fixture));
        ElfSymbol f = elf.functionsNamed(name).get(0);
        return a -> a >= f.value() && a < f.value() + f.size();
    }

    @ParameterizedTest
    @ValueSource(strings = {"lines", "lines-O2"})
    void everyLineResolvesToReadelfsStatements(String fixture) throws Exception {
        SourceLines lines = sourceLines(fixture);
        Map<Integer, TreeSet<Long>> expected = expectedStatements(fixture, a -> true);

        assertThat(expected).isNotEmpty();
        for (int line = 1; line <= 63; line++) {
            LineSpec spec = LineSpec.parse("*@lines.c:" + line);
            if (expected.containsKey(line)) {
                List<LineRow> got = lines.statements(spec);
                assertThat(addresses(got)).as(spec.toString()).containsExactlyElementsOf(expected.get(line));
                assertThat(got).allSatisfy(r -> {
                    assertThat(r.line()).isEqualTo(spec.line());
                    assertThat(r.isStmt()).isTrue();
                    assertThat(r.file()).endsWith("/src/test/c/lines.c");
                });
            } else {
                assertThatThrownBy(() -> lines.statements(spec)).as(spec.toString())
                        .isInstanceOfSatisfying(LineNotFoundException.class,
                                e -> assertThat(e.kind()).isEqualTo(LineNotFoundException.Kind.NO_CODE));
            }
        }
    }

    @Test
    void unoptimisedLinesAreTheOnesWithCode() throws Exception {
        assertThat(expectedStatements("lines", a -> true).keySet()).containsExactlyInAnyOrderElementsOf(O0_LINES);
    }

    @Test
    void loopHeaderHasOneAddressPerBlock() throws Exception {
        // for (...; ...; p++) at -O0: the initialisation, then the increment-and-test block after the body
        List<LineRow> got = sourceLines("lines").statements(LineSpec.parse("*@lines.c:25"));
        assertThat(got).hasSize(2);
        assertThat(addresses(got)).isEqualTo(List.copyOf(expectedStatements("lines", a -> true).get(25)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"lines", "lines-O2"})
    void functionPredicateKeepsOnlyItsAddresses(String fixture) throws Exception {
        LongPredicate render = function(fixture, "render");
        Map<Integer, TreeSet<Long>> expected = expectedStatements(fixture, render);
        SourceLines lines = sourceLines(fixture);

        assertThat(expected).containsKey(38);
        assertThat(addresses(lines.statements(LineSpec.parse("render@lines.c:38"), render)))
                .containsExactlyElementsOf(expected.get(38));
        assertThatThrownBy(() -> lines.statements(LineSpec.parse("render@lines.c:46"), render))
                .isInstanceOf(LineNotFoundException.class);
    }

    @Test
    void lineWithoutCodeNamesTheNearestLinesThatHaveCode() throws Exception {
        SourceLines lines = sourceLines("lines");

        assertThatThrownBy(() -> lines.statements(LineSpec.parse("*@lines.c:45")))
                .isInstanceOfSatisfying(LineNotFoundException.class, e -> {
                    assertThat(e.kind()).isEqualTo(LineNotFoundException.Kind.NO_CODE);
                    assertThat(e.nearestLines()).containsExactly(44, 46);
                    assertThat(e.candidates()).isEmpty();
                })
                .hasMessage("no code at lines.c:45; nearest lines with code: 44, 46");
        assertThatThrownBy(() -> lines.statements(LineSpec.parse("*@lines.c:7")))
                .hasMessage("no code at lines.c:7; nearest line with code: 23");
        assertThatThrownBy(() -> lines.statements(LineSpec.parse("*@lines.c:99")))
                .hasMessage("no code at lines.c:99; nearest line with code: 63");
    }

    @Test
    void nearestLinesStayInsideTheFunction() throws Exception {
        LongPredicate process = function("lines", "process_path_request");
        SourceLines lines = sourceLines("lines");

        assertThatThrownBy(() -> lines.statements(LineSpec.parse("process_path_request@lines.c:38"), process))
                .isInstanceOfSatisfying(LineNotFoundException.class,
                        e -> assertThat(e.nearestLines()).containsExactly(44))
                .hasMessage("no code at process_path_request@lines.c:38; nearest line with code: 44");
        assertThatThrownBy(() -> lines.statements(LineSpec.parse("process_path_request@lines.c:38"), a -> false))
                .hasMessage("no code at process_path_request@lines.c:38; process_path_request in lines.c has no "
                        + "lines with code");
    }

    @Test
    void unknownFileListsTheClosestKnownFiles() throws Exception {
        SourceLines lines = sourceLines("lines-O2");
        String dir = Fixtures.path("lines").getParent().getParent().getParent().resolve("src/test/c").toString();

        assertThatThrownBy(() -> lines.statements(LineSpec.parse("*@line.c:25")))
                .isInstanceOfSatisfying(LineNotFoundException.class, e -> {
                    assertThat(e.kind()).isEqualTo(LineNotFoundException.Kind.NO_FILE);
                    assertThat(e.candidates()).containsExactly(dir + "/lines.c", "/usr/include/stdlib.h");
                    assertThat(e.nearestLines()).isEmpty();
                })
                .hasMessage("no source file matches line.c; closest known files: " + dir + "/lines.c, "
                        + "/usr/include/stdlib.h");
        assertThatThrownBy(() -> sourceLines("many").statements(LineSpec.parse("*@lines.c:25")))
                .hasMessage("no source file matches lines.c; there is no line information");
    }

    @Test
    void fileMatchesAtTheEndOfThePathOnComponentBoundaries() throws Exception {
        assertThat(SourceLines.matches("lines.c", "/x/y/lines.c")).isTrue();
        assertThat(SourceLines.matches("y/lines.c", "/x/y/lines.c")).isTrue();
        assertThat(SourceLines.matches("/x/y/lines.c", "/x/y/lines.c")).isTrue();
        assertThat(SourceLines.matches("lines.c", "lines.c")).isTrue();
        assertThat(SourceLines.matches("*.c", "/x/y/lines.c")).isTrue();
        assertThat(SourceLines.matches("line?.[ch]", "/x/y/lines.c")).isTrue();
        assertThat(SourceLines.matches("lines.c", "/x/y/mylines.c")).isFalse();
        assertThat(SourceLines.matches("/y/lines.c", "/x/y/lines.c")).isFalse();
        assertThat(SourceLines.matches("lines.c", "/x/y/lines.cc")).isFalse();
        assertThat(SourceLines.matches("*.h", "/x/y/lines.c")).isFalse();
        assertThat(SourceLines.matches("lines.c", "/x/y/lines_c")).isFalse();

        assertThat(addresses(sourceLines("lines").statements(LineSpec.parse("*@c/lines.c:46"))))
                .isEqualTo(addresses(sourceLines("lines").statements(LineSpec.parse("*@lines.c:46"))));
    }

    @Test
    void aSpecNamingFunctionsNeedsTheirAddresses() throws Exception {
        assertThatThrownBy(() -> sourceLines("lines").statements(LineSpec.parse("render@lines.c:38")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void specParses() {
        assertThat(LineSpec.parse("*@gis_server.cpp:72")).isEqualTo(new LineSpec("*", "gis_server.cpp", 72));
        assertThat(LineSpec.parse("process_*@src/lines.c:46"))
                .isEqualTo(new LineSpec("process_*", "src/lines.c", 46));
        assertThat(LineSpec.parse("*@gis_server.cpp:72").anyFunction()).isTrue();
        assertThatThrownBy(() -> LineSpec.parse("lines.c:46")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"lines.c:46\" is not FUNCTION@FILE:LINE");
        assertThatThrownBy(() -> LineSpec.parse("*@lines.c:x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"*@lines.c:x\": line \"x\" is not a number");
        assertThatThrownBy(() -> LineSpec.parse("*@lines.c:0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LineSpec.parse("*@:3")).isInstanceOf(IllegalArgumentException.class);
    }
}
