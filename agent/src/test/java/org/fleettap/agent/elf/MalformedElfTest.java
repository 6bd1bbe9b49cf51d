package org.fleettap.agent.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad, truncated and corrupted input gives an {@link ElfFormatException} with a one-line message, and quickly. */
final class MalformedElfTest {
    private static byte[] usdt;

    @BeforeAll
    static void readFixture() throws IOException {
        usdt = Files.readAllBytes(Fixtures.path("usdt"));
    }

    static Stream<Arguments> badHeaders() throws IOException {
        byte[] elf = Files.readAllBytes(Fixtures.path("usdt"));
        long shoff = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN).getLong(40);
        int shnum = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN).getShort(60);
        return Stream.of(
                Arguments.of("empty", new byte[0], "not an ELF file"),
                Arguments.of("text", "hello, world\n".getBytes(StandardCharsets.US_ASCII), "not an ELF file"),
                Arguments.of("magic only", Arrays.copyOf(elf, 4),
                        "truncated: ELF identification needs 16 bytes, file has 4"),
                Arguments.of("ELFCLASS32", patch(elf, 4, 1), "32-bit ELF (ELFCLASS32) is not supported"),
                Arguments.of("class 7", patch(elf, 4, 7), "invalid ELF class 7"),
                Arguments.of("big-endian", patch(elf, 5, 2), "big-endian ELF is not supported"),
                Arguments.of("version 2", patch(elf, 6, 2), "unsupported ELF version 2"),
                Arguments.of("header cut", Arrays.copyOf(elf, 40), "truncated: ELF header needs 64 bytes, file has 40"),
                Arguments.of("ET_REL", patch(elf, 16, 1), "relocatable object (ET_REL) is not supported"),
                Arguments.of("ET_CORE", patch(elf, 16, 4), "core file (ET_CORE) is not supported"),
                Arguments.of("ET 0x99", patch(elf, 16, 0x99), "unsupported ELF type 0x99"),
                Arguments.of("section entry size", patch(elf, 58, 40),
                        "invalid section header entry size 40 (expected 64)"),
                Arguments.of("program entry size", patch(elf, 54, 32),
                        "invalid program header entry size 32 (expected 56)"),
                Arguments.of("last byte cut", Arrays.copyOf(elf, elf.length - 1), String.format(
                        "truncated: section header table at 0x%x (%d entries of 64 bytes) extends past end of file "
                                + "(size %d)", shoff, shnum, elf.length - 1)),
                Arguments.of("section name table index", patch(patch(elf, 62, 0xf0), 63, 0),
                        "section name string table index 240 is not a section with contents (" + shnum
                                + " sections)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeaders")
    void badHeaderIsNamed(String name, byte[] contents, String message) {
        assertThatThrownBy(() -> ElfFile.parse(ByteBuffer.wrap(contents)))
                .isInstanceOf(ElfFormatException.class)
                .hasMessage(message);
    }

    @Test
    void objectFileIsRejected() {
        assertThatThrownBy(() -> ElfFiles.map(Fixtures.path("usdt_main.o")))
                .isInstanceOf(ElfFormatException.class)
                .hasMessage(Fixtures.path("usdt_main.o") + ": relocatable object (ET_REL) is not supported");
    }

    @Test
    void mappingNamesThePath(@TempDir Path dir) throws IOException {
        Path text = Files.writeString(dir.resolve("notes.txt"), "not elf");

        assertThatThrownBy(() -> ElfFiles.map(text))
                .isInstanceOf(ElfFormatException.class)
                .hasMessage(text + ": not an ELF file");
        assertThatThrownBy(() -> ElfFiles.map(dir.resolve("missing")))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void sectionPastEndOfFileIsNamed() {
        ByteBuffer in = ByteBuffer.wrap(usdt.clone()).order(ByteOrder.LITTLE_ENDIAN);
        long shoff = in.getLong(40);
        int textIndex = 15;
        int entry = (int) shoff + textIndex * 64;
        in.putLong(entry + 32, 0x7fff_ffffL);

        assertThatThrownBy(() -> ElfFile.parse(in))
                .isInstanceOf(ElfFormatException.class)
                .hasMessage("truncated: section [15] .text at 0x%x (0x7fffffff bytes) extends past end of file "
                        + "(size %d)", in.getLong(entry + 24), usdt.length);
    }

    @Test
    void everyPrefixIsTruncated() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int parsed = 0;
            for (int length = 0; length < usdt.length; length += length < 1024 ? 1 : 5) {
                ByteBuffer prefix = ByteBuffer.wrap(usdt, 0, length);
                try {
                    exercise(ElfFile.parse(prefix));
                    parsed++;
                } catch (ElfFormatException e) {
                    assertOneLine(e, "prefix of " + length + " bytes");
                } catch (RuntimeException e) {
                    fail("prefix of " + length + " bytes", e);
                }
            }
            assertThat(parsed).as("prefixes parsed without error").isZero();
        });
        assertThat(exercises(usdt)).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"usdt", "libfixturelib.so", "loop-nopie"})
    void randomCorruptionGivesOnlyFormatErrors(String fixture) throws IOException {
        byte[] original = Files.readAllBytes(Fixtures.path(fixture));
        ByteBuffer in = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN);
        long shoff = in.getLong(40);
        int shnum = in.getShort(60);
        long phoff = in.getLong(32);
        int phnum = in.getShort(56);
        Random random = new Random(0x5eed_e1f0L + fixture.hashCode());
        int[] outcomes = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int round = 0; round < 3000; round++) {
                byte[] mutant = original.clone();
                switch (round % 4) {
                    case 0 -> flipBytes(random, mutant, 0, mutant.length);
                    case 1 -> writeValue(random, mutant, 0, 64);
                    case 2 -> writeValue(random, mutant, (int) shoff, shnum * 64);
                    default -> writeValue(random, mutant, (int) phoff, phnum * 56);
                }
                try {
                    exercise(ElfFile.parse(ByteBuffer.wrap(mutant)));
                    outcomes[0]++;
                } catch (ElfFormatException e) {
                    assertOneLine(e, fixture + " round " + round);
                    outcomes[1]++;
                } catch (RuntimeException | OutOfMemoryError e) {
                    fail(fixture + " round " + round + " threw", e);
                }
            }
        });
        assertThat(outcomes[1]).as("rejected mutants").isPositive();
    }

    @Test
    void randomNoteAndSymbolCorruptionGivesOnlyFormatErrors() throws Exception {
        ElfFile elf = ElfFile.parse(ByteBuffer.wrap(usdt));
        Random random = new Random(20240601);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (String name : new String[] {".note.stapsdt", ".note.gnu.build-id", ".symtab", ".strtab", ".dynsym",
                ".dynstr", ".gnu_debuglink", ".shstrtab"}) {
                Section section = elf.section(name).orElse(null);
                if (section == null) {
                    continue;
                }
                for (int round = 0; round < 500; round++) {
                    byte[] mutant = usdt.clone();
                    if (round % 2 == 0) {
                        flipBytes(random, mutant, (int) section.offset(), (int) section.size());
                    } else {
                        writeValue(random, mutant, (int) section.offset(), (int) section.size());
                    }
                    try {
                        exercise(ElfFile.parse(ByteBuffer.wrap(mutant)));
                    } catch (ElfFormatException e) {
                        assertOneLine(e, name + " round " + round);
                    } catch (RuntimeException e) {
                        fail(name + " round " + round + " threw", e);
                    }
                }
            }
        });
    }

    private static boolean exercises(byte[] contents) {
        try {
            exercise(ElfFile.parse(ByteBuffer.wrap(contents)));
            return true;
        } catch (ElfFormatException e) {
            return false;
        }
    }

    /** Calls everything that reads the file. */
    static void exercise(ElfFile elf) throws ElfFormatException {
        assertThat(elf.symbols()).hasSizeGreaterThanOrEqualTo(elf.functions().size());
        elf.functionNames().forEach(elf::functionsNamed);
        elf.buildId();
        elf.debugLink();
        for (Section s : elf.sections()) {
            elf.contents(s);
        }
        for (ElfSymbol f : elf.functions()) {
            try {
                elf.fileOffset(f.value());
            } catch (ElfFormatException e) {
                assertOneLine(e, "fileOffset");
            }
        }
        elf.sdtNotes();
    }

    static void assertOneLine(ElfFormatException e, String what) {
        assertThat(e.getMessage()).as(what).isNotBlank().doesNotContain("\n").doesNotContain("\r");
    }

    private static void flipBytes(Random random, byte[] bytes, int from, int length) {
        int count = 1 + random.nextInt(16);
        for (int i = 0; i < count && length > 0; i++) {
            bytes[from + random.nextInt(length)] ^= (byte) (1 + random.nextInt(255));
        }
    }

    private static void writeValue(Random random, byte[] bytes, int from, int length) {
        long[] interesting = {0, 1, 2, 8, 24, 56, 64, 0xff, 0xffff, 0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL,
            bytes.length, bytes.length - 1, bytes.length + 1, Long.MAX_VALUE, Long.MIN_VALUE, -1, -8,
            random.nextLong(), random.nextInt(bytes.length)};
        int width = new int[] {1, 2, 4, 8}[random.nextInt(4)];
        if (length < width) {
            return;
        }
        int at = from + random.nextInt(length - width + 1) / width * width;
        long value = interesting[random.nextInt(interesting.length)];
        for (int i = 0; i < width; i++) {
            bytes[at + i] = (byte) (value >>> (8 * i));
        }
    }

    private static byte[] patch(byte[] bytes, int offset, int value) {
        byte[] copy = bytes.clone();
        copy[offset] = (byte) value;
        return copy;
    }
}
