package org.fleettap.agent.dwarf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.elf.ElfSymbol;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Address to source line against binutils' addr2line: every function's entry and every address inside. */
final class LineTableAddr2lineTest {
    private static final Pattern ANSWER = Pattern.compile("^(.*):(\\d+|\\?)(?: \\(discriminator \\d+\\))?$");
    private static final Pattern COMP_DIR = Pattern.compile("DW_AT_comp_dir\\s*:.*: (/\\S*)$");
    private static final Pattern STMT_LIST = Pattern.compile("DW_AT_stmt_list\\s*:.* (0x[0-9a-f]+|\\d+)$");

    static Stream<String> fixtures() {
        return Stream.of("lines-clang", "lines-clang-O2", "state-clang", "loop-clang-dwarf4", "loop", "loop-O2", "loop-nopie", "loop-dwarf4", "loop-gz", "lines", "lines-O2", "state",
                "state-O2", "libfixturelib.so");
    }

    /** DW_AT_stmt_list to DW_AT_comp_dir of each unit, per readelf --debug-dump=info (DWARF 4 tables need it). */
    static Map<Long, String> compDirs(Path binary) {
        Map<Long, String> dirs = new java.util.HashMap<>();
        String dir = null;
        Long stmt = null;
        // gcc writes DW_AT_comp_dir before DW_AT_stmt_list, clang after: collect both per unit.
        for (String text : (Fixtures.run("readelf", "-W", "--debug-dump=info", binary.toString())
                + "\nCompilation Unit @ end").split("\n")) {
            Matcher c = COMP_DIR.matcher(text);
            Matcher s = STMT_LIST.matcher(text);
            if (text.contains("Compilation Unit @")) {
                if (dir != null && stmt != null) {
                    dirs.put(stmt, dir);
                }
                dir = null;
                stmt = null;
            } else if (c.find() && dir == null) {
                dir = c.group(1);
            } else if (s.find() && stmt == null) {
                stmt = Long.decode(s.group(1));
            }
        }
        return dirs;
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void everyAddressOfEveryFunctionMatchesAddr2line(String fixture) throws Exception {
        Path binary = Fixtures.path(fixture);
        ElfFile elf = ElfFiles.map(binary);
        LineTable table = LineTable.of(new DwarfSections(elf), compDirs(binary));
        TreeSet<Long> addresses = new TreeSet<>();
        int entries = 0;
        for (ElfSymbol f : elf.functions()) {
            if (f.value() != 0 && addresses.add(f.value())) {
                entries++;
            }
            for (long a = f.value(); a < f.value() + f.size(); a++) {
                addresses.add(a);
            }
        }
        List<String> command = new ArrayList<>(List.of("addr2line", "-e", binary.toString()));
        addresses.forEach(a -> command.add("0x" + Long.toHexString(a)));
        String[] answers = Fixtures.run(command).split("\n");
        command.set(0, "llvm-addr2line");
        String[] llvmAnswers = Fixtures.run(command).split("\n");

        assertThat(entries).isGreaterThan(3);
        assertThat(answers).hasSize(addresses.size());
        int i = 0;
        int withLines = 0;
        for (long address : addresses) {
            String answer = answers[i++];
            Optional<LineRow> got = table.lookup(address);
            String where = fixture + " 0x" + Long.toHexString(address) + ": addr2line " + answer + ", ours " + got;
            if (answer.startsWith("??:")) {
                assertThat(got).as(where).isEmpty();
                continue;
            }
            Matcher m = ANSWER.matcher(answer);
            assertThat(m.matches()).as(where).isTrue();
            if (m.group(2).equals("?") && got.isEmpty()) {
                continue; // a function its debug information names (crtstuff.c) in a unit without line rows
            }
            assertThat(got).as(where).isPresent();
            if (!got.get().file().equals(m.group(1))) {
                // binutils names the unit's primary file for rows of DWARF 5 file 1 when that is another file
                // (state-O2: locale_facets.h); readelf and LLVM read the file table as written
                assertThat(llvmAnswers[i - 1]).as(where).startsWith(got.get().file() + ":");
            }
            assertThat(got.get().line()).as(where).isEqualTo(m.group(2).equals("?") ? 0 : Integer.parseInt(m.group(2)));
            withLines++;
        }
        assertThat(withLines).isGreaterThan(50);
    }
}
