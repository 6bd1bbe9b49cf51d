package org.fleettap.agent.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.dwarf.DwarfSections;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.agent.testing.Mutation;

/**
 * Fuzzes the ELF reader with mutations of real binaries (fixtures, /bin/true, libc): header, section header and
 * program header fields overwritten with boundary values, byte flips, truncations, random bytes; then everything
 * that reads the file (symbols, notes, build-id, stapsdt, debuglink, section contents, compressed debug sections).
 * The only failure allowed is an {@link ElfFormatException} (or {@link DwarfFormatException} while decompressing)
 * with a one-line message. Tries: {@code -Dfuzz.tries} (docs/fuzzing.md).
 */
final class ElfFuzzTest {
    /** Binaries mutated: fixtures with USDT notes, a shared library, non-PIE, zlib-compressed debug info. */
    private static final Map<String, byte[]> BINARIES = readBinaries();

    private static Map<String, byte[]> readBinaries() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try {
            for (String name : List.of("usdt", "libfixturelib.so", "loop-nopie", "loop-gz")) {
                out.put(name, Files.readAllBytes(Fixtures.path(name)));
            }
            for (Path p : List.of(Path.of("/bin/true"), Path.of("/usr/lib/x86_64-linux-gnu/libc.so.6"))) {
                out.put(p.toString(), Files.readAllBytes(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** One header field of the ELF file: the file header, a section header or a program header. */
    record FieldEdit(Table table, int entry, int field, long value) {
        enum Table { FILE, SECTION, PROGRAM }

        /** (offset, width) of the fields edited: e_phoff e_shoff e_phnum e_shnum e_shstrndx e_phentsize. */
        private static final int[][] FILE_FIELDS = {{32, 8}, {40, 8}, {56, 2}, {60, 2}, {62, 2}, {54, 2}};
        /** sh_name sh_type sh_flags sh_offset sh_size sh_link sh_info sh_addralign sh_entsize. */
        private static final int[][] SECTION_FIELDS = {{0, 4}, {4, 4}, {8, 8}, {24, 8}, {32, 8}, {40, 4}, {44, 4},
            {48, 8}, {56, 8}};
        /** p_type p_offset p_vaddr p_filesz p_memsz p_align. */
        private static final int[][] PROGRAM_FIELDS = {{0, 4}, {8, 8}, {16, 8}, {32, 8}, {40, 8}, {48, 8}};

        byte[] apply(byte[] elf) {
            byte[] out = elf.clone();
            ByteBuffer in = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
            int[] f;
            long at;
            switch (table) {
                case FILE -> {
                    f = FILE_FIELDS[field % FILE_FIELDS.length];
                    at = f[0];
                }
                case SECTION -> {
                    int count = Short.toUnsignedInt(in.getShort(60));
                    f = SECTION_FIELDS[field % SECTION_FIELDS.length];
                    at = in.getLong(40) + (long) (entry % Math.max(1, count)) * 64 + f[0];
                }
                default -> {
                    int count = Short.toUnsignedInt(in.getShort(56));
                    f = PROGRAM_FIELDS[field % PROGRAM_FIELDS.length];
                    at = in.getLong(32) + (long) (entry % Math.max(1, count)) * 56 + f[0];
                }
            }
            Mutation.putLe(out, at, f[1], value);
            return out;
        }
    }

    /** Parses {@code bytes} and reads everything; an error must be a format error with a one-line message. */
    static boolean parsesOrRejects(byte[] bytes) {
        try {
            ElfFile elf = ElfFile.parse(ByteBuffer.wrap(bytes));
            MalformedElfTest.exercise(elf);
            DwarfSections dwarf = new DwarfSections(elf);
            for (String name : List.of(".debug_info", ".debug_line", ".debug_str", ".debug_abbrev",
                    ".debug_line_str")) {
                try {
                    dwarf.section(name);
                } catch (DwarfFormatException e) {
                    assertThat(e.getMessage()).as("decompressing %s", name).isNotBlank().doesNotContain("\n");
                }
            }
            return true;
        } catch (ElfFormatException e) {
            MalformedElfTest.assertOneLine(e, "rejected");
            return false;
        }
    }

    @Property
    void headerFields(@ForAll("binaries") String name, @ForAll("fieldEdits") @Size(min = 1, max = 3)
            List<FieldEdit> edits) {
        byte[] bytes = BINARIES.get(name);
        for (FieldEdit e : edits) {
            bytes = e.apply(bytes);
        }
        parsesOrRejects(bytes);
    }

    @Property
    void byteMutations(@ForAll("binaries") String name, @ForAll("edits") List<Mutation> edits) {
        parsesOrRejects(Mutation.applyAll(BINARIES.get(name), edits));
    }

    /**
     * The compressed debug sections of {@code loop-gz} (Elf64_Chdr and zlib stream) edited in place: the section keeps
     * its size, and a shorter edit is padded with zeros. Decompression fails with a one-line error or succeeds.
     */
    @Property
    void compressedSections(@ForAll("compressed") Section section,
            @ForAll(supplier = Mutation.Edits.class) List<Mutation> edits) {
        byte[] bytes = BINARIES.get("loop-gz").clone();
        byte[] original = Arrays.copyOfRange(bytes, (int) section.offset(),
                (int) (section.offset() + section.size()));
        byte[] mutated = Mutation.applyAll(original, edits);
        Arrays.fill(bytes, (int) section.offset(), (int) (section.offset() + section.size()), (byte) 0);
        System.arraycopy(mutated, 0, bytes, (int) section.offset(), Math.min(mutated.length, original.length));
        assertThat(parsesOrRejects(bytes)).as("only section contents changed").isTrue();
    }

    @Provide
    Arbitrary<Section> compressed() {
        try {
            ElfFile elf = ElfFile.parse(ByteBuffer.wrap(BINARIES.get("loop-gz")));
            List<Section> sections = elf.sections().stream().filter(s -> (s.flags() & 0x800) != 0).toList();
            assertThat(sections).as("SHF_COMPRESSED sections of loop-gz").isNotEmpty();
            return Arbitraries.of(sections);
        } catch (ElfFormatException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Random bytes behind a valid ELF identification, so the header reader is passed. */
    @Property
    void randomBytes(@ForAll @Size(max = 4096) byte[] random) {
        assertThat(parsesOrRejects(random)).isFalse();
        byte[] elf = random.clone();
        byte[] ident = {0x7f, 'E', 'L', 'F', 2, 1, 1};
        System.arraycopy(ident, 0, elf, 0, Math.min(ident.length, elf.length));
        parsesOrRejects(elf);
    }

    /** USDT argument strings as compilers write them ({@code -4@-20(%rbp)}), garbled; SdtArgTest has the grammar. */
    @Property
    void sdtArguments(@ForAll("sdtArgs") String text) {
        try {
            SdtArg.parse(text);
        } catch (ElfFormatException e) {
            MalformedElfTest.assertOneLine(e, text);
        }
    }

    /**
     * Regression (found by {@link #sdtArguments}): the reason quoted the size prefix unescaped, so a newline in a
     * note's argument string split the message.
     */
    @Example
    void sdtArgumentReasonIsEscaped() {
        assertThatThrownBy(() -> SdtArg.parse("\n@%rax")).isInstanceOf(ElfFormatException.class)
                .hasMessage("cannot parse SDT argument '\\x0a@%rax': size prefix '\\x0a' is not one of 1, 2, 4, 8, 16");
    }

    @Provide
    Arbitrary<String> sdtArgs() {
        Arbitrary<String> pieces = Arbitraries.of("-", "4", "8", "1", "2", "16", "f", "@", "%", "rax", "eax", "ah",
                "rbp", "rip", "r8", "r15d", "xmm0", "$", "0x", "-20", "(", ")", ",", "+", "foo", "\n", "\t", " ",
                "\u00e9", "99999999999999999999", "*", ":");
        return pieces.list().ofMaxSize(12).map(l -> String.join("", l));
    }

    @Provide
    Arbitrary<String> binaries() {
        return Arbitraries.of(BINARIES.keySet());
    }

    @Provide
    Arbitrary<List<Mutation>> edits() {
        return Mutation.lists(8);
    }

    @Provide
    Arbitrary<List<FieldEdit>> fieldEdits() {
        Arbitrary<FieldEdit> one = Combinators.combine(Arbitraries.of(FieldEdit.Table.class),
                Arbitraries.integers().between(0, 200), Arbitraries.integers().between(0, 8), Mutation.values())
                .as(FieldEdit::new);
        return one.list();
    }
}
