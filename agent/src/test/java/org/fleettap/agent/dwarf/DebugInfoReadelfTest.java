package org.fleettap.agent.dwarf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every subprogram and formal parameter of the fixtures against readelf --debug-dump=info (and gdb for ranges). */
class DebugInfoReadelfTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"lines", "lines-O2", "state", "state-O2", "state-nofp", "threads", "threads-nofp",
        "libfixturelib.so", "loop", "loop-O2", "loop-dwarf4", "loop-gz", "loop-split.debug", "usdt", "lines-clang",
        "lines-clang-O2", "state-clang", "loop-clang-dwarf4"})
    void subprogramsAndParametersMatchReadelf(String fixture) throws Exception {
        Path path = Fixtures.path(fixture);
        ReadelfDies oracle = new ReadelfDies(path);
        DebugInfo info = DebugInfos.of(path);
        Map<Long, Function> ours = new HashMap<>();
        for (Function f : info.subprograms()) {
            ours.put(f.dieOffset(), f);
        }
        List<ReadelfDies.Entry> subprograms = oracle.withTag("DW_TAG_subprogram");
        assertThat(subprograms).isNotEmpty();
        assertThat(ours.keySet()).containsExactlyInAnyOrderElementsOf(
                subprograms.stream().map(ReadelfDies.Entry::offset).toList());
        int withRanges = 0;
        for (ReadelfDies.Entry e : subprograms) {
            Function f = ours.get(e.offset());
            String what = fixture + " subprogram at 0x" + Long.toHexString(e.offset());
            String name = ReadelfDies.string(oracle.inherited(e, "DW_AT_name"));
            assertThat(f.name()).as(what + " name").isEqualTo(name == null ? "" : name);
            String linkage = ReadelfDies.string(oracle.inherited(e, "DW_AT_linkage_name"));
            assertThat(f.linkageName().orElse(null)).as(what + " linkage name").isEqualTo(linkage);
            String line = oracle.inherited(e, "DW_AT_decl_line");
            assertThat(f.declLine()).as(what + " decl_line").isEqualTo(line == null ? 0 : ReadelfDies.number(line));
            String file = oracle.inherited(e, "DW_AT_decl_file");
            assertThat(f.declFile()).as(what + " decl_file").isEqualTo(file == null ? 0 : ReadelfDies.number(file));
            assertThat(f.external()).as(what + " external").isEqualTo(oracle.inherited(e, "DW_AT_external") != null);
            assertThat(f.declaration()).as(what + " declaration").isEqualTo(e.attr("DW_AT_declaration") != null);
            if (e.attr("DW_AT_low_pc") != null) {
                long low = ReadelfDies.number(e.attr("DW_AT_low_pc"));
                long length = ReadelfDies.number(e.attr("DW_AT_high_pc")); // gcc: a constant, the length
                assertThat(f.entryPc()).as(what + " low_pc").isEqualTo(low);
                assertThat(f.ranges()).as(what + " low/high pc").containsExactly(new AddressRange(low, low + length));
                assertThat(info.functionAt(low + length - 1)).as(what + " functionAt").contains(f);
            } else if (e.attr("DW_AT_ranges") != null) {
                withRanges++;
                assertThat(f.ranges()).as(what + " ranges").containsExactlyInAnyOrderElementsOf(
                        gdbRanges(path, f.entryPc()));
                for (AddressRange r : f.ranges()) {
                    assertThat(info.functionAt(r.start())).as(what + " functionAt").contains(f);
                }
            } else {
                assertThat(f.hasCode()).as(what + " has no code").isFalse();
            }
            if (f.hasCode()) {
                if (!f.name().isEmpty()) {
                    assertThat(info.functionsNamed(f.name())).as(what + " by name").contains(f);
                }
                f.linkageName().ifPresent(n -> assertThat(functionsNamed(info, n)).as(what + " by linkage").contains(f));
            }
            checkParameters(oracle, info, e, f, what);
        }
        if (fixture.equals("state-O2") || fixture.equals("state-nofp")) {
            // gcc splits cold paths of -O2 functions into .text.unlikely ranges
            assertThat(withRanges).as("state -O2 has functions split into ranges").isPositive();
        }
    }

    private static List<Function> functionsNamed(DebugInfo info, String name) {
        try {
            return info.functionsNamed(name);
        } catch (DwarfFormatException e) {
            throw new AssertionError(e);
        }
    }

    private static void checkParameters(ReadelfDies oracle, DebugInfo info, ReadelfDies.Entry e, Function f,
            String what) throws DwarfFormatException {
        ReadelfDies.Entry holder = e;
        List<ReadelfDies.Entry> formals = formals(holder);
        for (int i = 0; i < 16 && formals.isEmpty(); i++) {
            String next = holder.attr("DW_AT_abstract_origin");
            if (next == null) {
                next = holder.attr("DW_AT_specification");
            }
            if (next == null) {
                break;
            }
            holder = oracle.byOffset.get(ReadelfDies.ref(next));
            formals = formals(holder);
        }
        List<Parameter> ours = info.parameters(f);
        assertThat(ours).as(what + " parameter count").hasSize(formals.size());
        for (int i = 0; i < formals.size(); i++) {
            ReadelfDies.Entry p = formals.get(i);
            String name = ReadelfDies.string(oracle.inherited(p, "DW_AT_name"));
            assertThat(ours.get(i).name()).as(what + " parameter " + i + " name").isEqualTo(name == null ? "" : name);
            String type = oracle.inherited(p, "DW_AT_type");
            assertThat(ours.get(i).type().dieOffset()).as(what + " parameter " + i + " type")
                    .isEqualTo(type == null ? -1 : ReadelfDies.ref(type));
            assertThat(ours.get(i).artificial()).as(what + " parameter " + i + " artificial")
                    .isEqualTo(oracle.inherited(p, "DW_AT_artificial") != null);
            assertThat(ours.get(i).location().isNone()).as(what + " parameter " + i + " location")
                    .isEqualTo(p.attr("DW_AT_location") == null);
        }
        boolean member = !formals.isEmpty() && oracle.inherited(formals.get(0), "DW_AT_artificial") != null
                || oracle.inherited(e, "DW_AT_object_pointer") != null;
        assertThat(f.memberFunction()).as(what + " member function").isEqualTo(member);
    }

    private static List<ReadelfDies.Entry> formals(ReadelfDies.Entry e) {
        List<ReadelfDies.Entry> out = new ArrayList<>();
        for (ReadelfDies.Entry c : e.children()) {
            if (c.tag().equals("DW_TAG_formal_parameter")) {
                out.add(c);
            }
        }
        return out;
    }

    /** The address ranges gdb's disassemble prints for the function at {@code pc}. */
    static Set<AddressRange> gdbRanges(Path binary, long pc) {
        Set<AddressRange> out = new HashSet<>();
        String text = Fixtures.run("gdb", "-nx", "-batch", "-ex", "disassemble 0x" + Long.toHexString(pc),
                binary.toString());
        for (String line : text.split("\n")) {
            if (line.startsWith("Address range ")) {
                String[] f = line.split("\\s+");
                out.add(new AddressRange(Long.decode(f[2]), Long.decode(f[4].replace(":", ""))));
            }
        }
        return out;
    }
}
