package org.fleettap.agent.dwarf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.agent.testing.Oracles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** DWARF 4, compressed and split debug information read like loop's; location lists against readelf. */
class DebugInfoVariantsTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"loop", "loop-dwarf4", "loop-gz", "loop-split.debug"})
    void readsTheSameFunctionsAsLoop(String fixture) throws Exception {
        Path path = Fixtures.path(fixture);
        DebugInfo info = DebugInfos.of(path);
        assertThat(summary(info)).containsExactly("f:7:() -> void", "main:11:(int argc, char ** argv) -> int");
        for (Function f : info.functions()) {
            assertThat(f.entryPc()).as(fixture + " " + f.name() + " low_pc = symbol value")
                    .isEqualTo(Oracles.symbolValue(path, f.name()));
            assertThat(f.external()).isTrue();
        }
    }

    @Test
    void strippedBinaryHasNoEntries() {
        assertThat(DebugInfo.present(DebugInfos.sections(Fixtures.path("loop-split")))).isFalse();
        assertThat(DebugInfo.present(DebugInfos.sections(Fixtures.path("loop-split.debug")))).isTrue();
    }

    private static List<String> summary(DebugInfo info) throws DwarfFormatException {
        List<String> out = new ArrayList<>();
        for (Function f : info.functions()) {
            List<String> ps = new ArrayList<>();
            for (Parameter p : info.parameters(f)) {
                ps.add(p.type().printableName() + " " + p.name());
            }
            out.add(f.name() + ":" + f.declLine() + ":(" + String.join(", ", ps) + ") -> "
                    + info.returnType(f).printableName());
        }
        out.sort(null);
        return out;
    }

    private static final Pattern LOCLIST_REF = Pattern.compile("^(0x[0-9a-f]+) \\(location list\\)");
    private static final Pattern ENTRY = Pattern.compile("([0-9a-f]{16}) ([0-9a-f]{16}) \\((.*)\\)\\s*$");
    private static final Pattern OFFSET = Pattern.compile("^\\s+([0-9a-f]{8}) (.*)$");

    /** Every parameter's location list in the -O2 fixtures: the ranges readelf --debug-dump=loc prints. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"lines-O2", "state-O2", "threads-nofp"})
    void locationListsMatchReadelf(String fixture) throws Exception {
        Path path = Fixtures.path(fixture);
        Map<Long, List<String>> lists = readelfLocationLists(path);
        ReadelfDies dies = new ReadelfDies(path);
        DebugInfo info = DebugInfos.of(path);
        int checked = 0;
        for (Function f : info.subprograms()) {
            for (Parameter p : info.parameters(f)) {
                String loc = dies.byOffset.get(p.dieOffset()).attr("DW_AT_location");
                Matcher m = loc == null ? null : LOCLIST_REF.matcher(loc);
                if (m == null || !m.find()) {
                    continue;
                }
                List<String> expected = lists.get(Long.decode(m.group(1)));
                assertThat(expected).as(fixture + " list at " + m.group(1)).isNotNull();
                List<String> ours = new ArrayList<>();
                for (LocationListEntry e : p.location().list()) {
                    String reg = e.expression().register().map(r -> " " + r).orElse("");
                    ours.add(Long.toHexString(e.start()) + "-" + Long.toHexString(e.end()) + reg);
                }
                assertThat(ours).as(fixture + " " + f.qualifiedName() + " " + p.name()).isEqualTo(expected);
                checked++;
            }
        }
        assertThat(checked).as("parameters with location lists").isGreaterThan(2);
    }

    /** readelf's location lists by the offset DW_AT_location names: "start-end" plus " reg" for DW_OP_regN. */
    private static Map<Long, List<String>> readelfLocationLists(Path path) {
        Map<Long, List<String>> out = new HashMap<>();
        List<String> current = null;
        for (String line : Fixtures.run("readelf", "--debug-dump=loc", "-wN", path.toString()).split("\n")) {
            Matcher o = OFFSET.matcher(line);
            if (o.find() && !line.contains("location view pair")) {
                if (current == null) {
                    current = new ArrayList<>();
                    out.put(Long.parseLong(o.group(1), 16), current);
                }
                if (line.contains("<End of list>")) {
                    current = null;
                    continue;
                }
            }
            Matcher e = ENTRY.matcher(line);
            if (e.find() && current != null) {
                long start = Long.parseLong(e.group(1), 16);
                long end = Long.parseLong(e.group(2), 16);
                Matcher reg = Pattern.compile("^DW_OP_reg\\d+ \\((\\w+)\\)$").matcher(e.group(3));
                current.add(Long.toHexString(start) + "-" + Long.toHexString(end)
                        + (reg.find() ? " " + reg.group(1) : ""));
            }
        }
        return out;
    }
}
