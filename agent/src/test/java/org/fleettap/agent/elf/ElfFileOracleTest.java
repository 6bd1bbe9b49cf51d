package org.fleettap.agent.elf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Headers, sections, segments, symbols, build-ids of the fixtures and libc against readelf and nm. */
final class ElfFileOracleTest {
    private static final Map<String, Integer> SECTION_TYPES = Map.ofEntries(
            Map.entry("NULL", 0), Map.entry("PROGBITS", 1), Map.entry("SYMTAB", 2), Map.entry("STRTAB", 3),
            Map.entry("RELA", 4), Map.entry("HASH", 5), Map.entry("DYNAMIC", 6), Map.entry("NOTE", 7),
            Map.entry("NOBITS", 8), Map.entry("REL", 9), Map.entry("DYNSYM", 11), Map.entry("INIT_ARRAY", 14),
            Map.entry("FINI_ARRAY", 15), Map.entry("PREINIT_ARRAY", 16), Map.entry("GROUP", 17),
            Map.entry("RELR", 19), Map.entry("GNU_ATTRIBUTES", 0x6ffffff5), Map.entry("GNU_HASH", 0x6ffffff6),
            Map.entry("VERDEF", 0x6ffffffd), Map.entry("VERNEED", 0x6ffffffe), Map.entry("VERSYM", 0x6fffffff),
            Map.entry("X86_64_UNWIND", 0x70000001));
    private static final Map<String, Integer> SEGMENT_TYPES = Map.ofEntries(
            Map.entry("NULL", 0), Map.entry("LOAD", 1), Map.entry("DYNAMIC", 2), Map.entry("INTERP", 3),
            Map.entry("NOTE", 4), Map.entry("PHDR", 6), Map.entry("TLS", 7), Map.entry("GNU_EH_FRAME", 0x6474e550),
            Map.entry("GNU_STACK", 0x6474e551), Map.entry("GNU_RELRO", 0x6474e552),
            Map.entry("GNU_PROPERTY", 0x6474e553));
    /** readelf's section flag letters, by bit, in the order it prints them. */
    private static final long[] FLAG_BITS = {0x1, 0x2, 0x4, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800,
        0x200000, 0x1000000, 0x10000000, 0x80000000L};
    private static final String FLAG_LETTERS = "WAXMSILOGTCRDlE";
    private static final Set<Character> NM_CODE_LETTERS = Set.of('T', 't', 'W', 'w', 'i');

    static Stream<Path> files() {
        return Stream.concat(
                Stream.of("loop", "loop-nopie", "loop-O2", "libfixturelib.so", "uselib", "usdt", "threads", "spin",
                        "many").map(Fixtures::path),
                Stream.of(Readelf.LIBC));
    }

    @ParameterizedTest
    @MethodSource("files")
    void headerMatchesReadelf(Path file) throws Exception {
        ElfFile elf = ElfFiles.map(file);
        Map<String, String> header = Readelf.header(file);

        assertThat(header.get("Type")).startsWith(elf.type().name() + " ");
        assertThat(header.get("Machine")).isEqualTo("Advanced Micro Devices X86-64");
        assertThat(elf.machine()).isEqualTo(ElfFile.EM_X86_64);
        assertThat("0x" + Long.toHexString(elf.entry())).isEqualTo(header.get("Entry point address"));
        assertThat(elf.sections()).hasSize(Integer.parseInt(header.get("Number of section headers")));
        assertThat(elf.programHeaders()).hasSize(Integer.parseInt(header.get("Number of program headers")));
    }

    @ParameterizedTest
    @MethodSource("files")
    void sectionsMatchReadelf(Path file) throws Exception {
        ElfFile elf = ElfFiles.map(file);
        List<Readelf.SectionLine> expected = Readelf.sections(file);

        List<Readelf.SectionLine> actual = new ArrayList<>();
        for (Section s : elf.sections()) {
            actual.add(new Readelf.SectionLine(s.index(), s.name(), sectionTypeName(s.type()), s.addr(), s.offset(),
                    s.size(), s.entsize(), flagLetters(s.flags()), s.link(), s.info(), s.addralign()));
        }
        assertThat(actual).hasSize(elf.sections().size()).containsExactlyElementsOf(expected);
    }

    @ParameterizedTest
    @MethodSource("files")
    void sectionContentsAreTheBytesAtTheSectionOffset(Path file) throws Exception {
        ElfFile elf = ElfFiles.map(file);
        Section text = elf.section(".text").orElseThrow();
        Section bss = elf.section(".bss").orElseThrow();

        assertThat(elf.contents(text).remaining()).isEqualTo(text.size());
        assertThat(elf.contents(text).isReadOnly()).isTrue();
        assertThat(elf.contents(bss).remaining()).isZero();
        Map<Long, Byte> dump = Readelf.hexDump(file, ".text");
        for (long i = 0; i < Math.min(256, text.size()); i++) {
            assertThat(elf.contents(text).get((int) i)).as("byte at 0x%x", text.addr() + i)
                    .isEqualTo(dump.get(text.addr() + i));
        }
    }

    @ParameterizedTest
    @MethodSource("files")
    void programHeadersMatchReadelf(Path file) throws Exception {
        ElfFile elf = ElfFiles.map(file);
        List<Readelf.SegmentLine> expected = Readelf.segments(file);

        List<Readelf.SegmentLine> actual = new ArrayList<>();
        for (ProgramHeader p : elf.programHeaders()) {
            String flags = ((p.flags() & ProgramHeader.PF_R) != 0 ? "R" : " ") + (p.isWritable() ? "W" : " ")
                    + (p.isExecutable() ? "E" : " ");
            actual.add(new Readelf.SegmentLine(segmentTypeName(p.type()), p.offset(), p.vaddr(), p.paddr(),
                    p.filesz(), p.memsz(), flags, p.align()));
        }
        assertThat(actual).isNotEmpty().containsExactlyElementsOf(expected);
    }

    @ParameterizedTest
    @MethodSource("files")
    void everySymbolMatchesReadelf(Path file) throws Exception {
        ElfFile elf = ElfFiles.map(file);
        List<Readelf.SymbolLine> expected = Readelf.symbols(file).stream().filter(l -> l.num() != 0).toList();

        List<Readelf.SymbolLine> actual = new ArrayList<>();
        for (ElfSymbol s : elf.symbols()) {
            actual.add(new Readelf.SymbolLine(s.table() == ElfSymbol.Table.SYMTAB ? ".symtab" : ".dynsym", s.index(),
                    s.value(), s.size(), typeName(s.type()), bindName(s.binding()), s.visibility().name(),
                    ndxName(s.sectionIndex()), s.name()));
        }
        assertThat(actual).isNotEmpty().containsExactlyElementsOf(expected);
    }

    @ParameterizedTest
    @MethodSource("files")
    void functionsMatchNm(Path file) throws Exception {
        ElfFile elf = ElfFiles.map(file);
        boolean stripped = elf.section(".symtab").isEmpty();
        ElfSymbol.Table table = stripped ? ElfSymbol.Table.DYNSYM : ElfSymbol.Table.SYMTAB;
        Map<String, Set<Long>> nmCode = Readelf.nm(file, stripped).stream()
                .filter(l -> NM_CODE_LETTERS.contains(l.letter()))
                .collect(Collectors.groupingBy(Readelf.NmLine::name,
                        Collectors.mapping(Readelf.NmLine::value, Collectors.toSet())));
        List<ElfSymbol> functions = elf.functions().stream().filter(f -> f.table() == table).toList();

        assertThat(functions).isNotEmpty();
        for (ElfSymbol f : functions) {
            assertThat(nmCode.get(f.name())).as("nm addresses of %s", f.name()).contains(f.value());
        }
        Set<String> names = functions.stream().map(ElfSymbol::name).collect(Collectors.toSet());
        assertThat(elf.functionNames()).containsAll(names);
        for (String name : elf.functionNames()) {
            assertThat(elf.functionsNamed(name)).isNotEmpty().allMatch(s -> s.name().equals(name))
                    .allMatch(ElfSymbol::isFunction);
        }
    }

    @ParameterizedTest
    @MethodSource("files")
    void buildIdMatchesReadelf(Path file) throws Exception {
        ElfFile elf = ElfFiles.map(file);

        assertThat(elf.buildId()).isEqualTo(Readelf.buildId(file)).isPresent();
    }

    private static String sectionTypeName(int type) {
        return SECTION_TYPES.entrySet().stream().filter(e -> e.getValue() == type).map(Map.Entry::getKey)
                .findFirst().orElse("unknown type 0x" + Integer.toHexString(type));
    }

    private static String segmentTypeName(int type) {
        return SEGMENT_TYPES.entrySet().stream().filter(e -> e.getValue() == type).map(Map.Entry::getKey)
                .findFirst().orElse("unknown type 0x" + Integer.toHexString(type));
    }

    private static String flagLetters(long flags) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < FLAG_BITS.length; i++) {
            if ((flags & FLAG_BITS[i]) != 0) {
                sb.append(FLAG_LETTERS.charAt(i));
            }
        }
        return sb.toString();
    }

    private static String typeName(ElfSymbol.Type type) {
        return type == ElfSymbol.Type.GNU_IFUNC ? "IFUNC" : type.name();
    }

    private static String bindName(ElfSymbol.Binding binding) {
        return binding == ElfSymbol.Binding.GNU_UNIQUE ? "UNIQUE" : binding.name();
    }

    private static String ndxName(int index) {
        return switch (index) {
            case ElfSymbol.SHN_UNDEF -> "UND";
            case ElfSymbol.SHN_ABS -> "ABS";
            case ElfSymbol.SHN_COMMON -> "COM";
            default -> Integer.toString(index);
        };
    }
}
