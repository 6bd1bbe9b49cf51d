package org.fleettap.agent.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** USDT notes of the usdt fixture and libc against readelf -n, their uprobe offsets, and the prelink shift. */
final class SdtNoteTest {
    private static final int NOP = 0x90;

    static Stream<Path> files() {
        return Stream.of(Fixtures.path("usdt"), Readelf.LIBC);
    }

    @ParameterizedTest
    @MethodSource("files")
    void notesMatchReadelf(Path file) throws Exception {
        List<SdtNote> notes = ElfFiles.map(file).sdtNotes();

        List<Readelf.SdtLine> actual = notes.stream().map(n -> new Readelf.SdtLine(n.provider(), n.name(), n.pc(),
                n.base(), n.semaphore(), n.argString())).toList();
        assertThat(actual).containsExactlyElementsOf(Readelf.sdtNotes(file));
    }

    @ParameterizedTest
    @MethodSource("files")
    void probesAreNopsAtTheirTextOffset(Path file) throws Exception {
        ElfFile elf = ElfFiles.map(file);
        Readelf.SectionLine text = Readelf.sections(file).stream().filter(s -> s.name().equals(".text"))
                .findFirst().orElseThrow();
        byte[] contents = Files.readAllBytes(file);

        for (SdtNote note : elf.sdtNotes()) {
            assertThat(note.address()).isEqualTo(note.pc());
            assertThat(note.fileOffset()).as(note.qualifiedName())
                    .isEqualTo(note.pc() - text.addr() + text.offset());
            assertThat(contents[(int) note.fileOffset()] & 0xff).as(note.qualifiedName()).isEqualTo(NOP);
        }
    }

    @Test
    void usdtFixtureNotes() throws Exception {
        List<SdtNote> notes = ElfFiles.map(Fixtures.path("usdt")).sdtNotes();

        assertThat(notes).extracting(SdtNote::qualifiedName)
                .containsExactly("fixture:tick", "fixture:done", "fixture:guarded", "fixture:globals");
        assertThat(notes.get(0).args()).containsExactly(
                new SdtArg("-8@-16(%rbp)", 8, true, false,
                        new SdtOperand.Memory("", -16, Optional.of("rbp"), Optional.empty(), 1)),
                new SdtArg("-4@$5", 4, true, false, new SdtOperand.Constant(5)),
                new SdtArg("-4@%eax", 4, true, false, new SdtOperand.Register("rax", 4)));
        assertThat(notes.get(1).args()).extracting(SdtArg::text).containsExactly("-8@-24(%rbp)");
        assertThat(notes.get(2).args()).extracting(SdtArg::operand).containsExactly(
                new SdtOperand.Register("rdi", 8), new SdtOperand.Register("rax", 8));
        assertThat(notes.get(3).args()).extracting(SdtArg::operand).containsExactly(
                new SdtOperand.RipRelative("data_global", 0), new SdtOperand.RipRelative("bss_global", 0));
        assertThat(notes).extracting(SdtNote::hasSemaphore).containsExactly(false, false, true, true);
        assertThat(notes.get(0).semaphoreFileOffset()).isZero();
    }

    @Test
    void semaphoreOffsetIsTheRefCtrOffset() throws Exception {
        Path file = Fixtures.path("usdt");
        ElfFile elf = ElfFiles.map(file);
        SdtNote guarded = elf.sdtNotes().get(2);
        Readelf.SectionLine probes = Readelf.sections(file).stream().filter(s -> s.name().equals(".probes"))
                .findFirst().orElseThrow();
        ElfSymbol semaphore = elf.symbolsNamed("fixture_guarded_semaphore").get(0);

        assertThat(guarded.semaphore()).isEqualTo(semaphore.value());
        assertThat(guarded.semaphoreAddress()).isEqualTo(semaphore.value());
        assertThat(guarded.semaphoreFileOffset()).isEqualTo(semaphore.value() - probes.addr() + probes.offset());
    }

    @Test
    void probesMovedAfterLinkingAreShiftedByTheBaseSection() throws Exception {
        byte[] contents = Files.readAllBytes(Fixtures.path("usdt"));
        ElfFile original = ElfFile.parse(ByteBuffer.wrap(contents));
        long base = original.section(".stapsdt.base").orElseThrow().addr();
        Section noteSection = original.section(".note.stapsdt").orElseThrow();
        List<SdtNote> before = original.sdtNotes();
        long shift = -4;
        int patched = replaceAll(contents, noteSection, le64(base), le64(base - shift));

        List<SdtNote> after = ElfFile.parse(ByteBuffer.wrap(contents)).sdtNotes();

        assertThat(patched).isEqualTo(4); // one base address per mark
        for (int i = 0; i < before.size(); i++) {
            SdtNote b = before.get(i);
            SdtNote a = after.get(i);
            assertThat(a.pc()).isEqualTo(b.pc());
            assertThat(a.base()).isEqualTo(base - shift);
            assertThat(a.address()).isEqualTo(b.pc() + shift);
            assertThat(a.fileOffset()).isEqualTo(b.fileOffset() + shift);
        }
        SdtNote guarded = after.get(2);
        assertThat(guarded.semaphoreAddress()).isEqualTo(guarded.semaphore() + shift);
        assertThat(guarded.semaphoreFileOffset()).isEqualTo(before.get(2).semaphoreFileOffset() + shift);
    }

    @Test
    void unparsableArgumentNamesTheNoteAndTheArgument() throws Exception {
        byte[] contents = Files.readAllBytes(Fixtures.path("usdt"));
        Section noteSection = ElfFile.parse(ByteBuffer.wrap(contents)).section(".note.stapsdt").orElseThrow();
        replaceAll(contents, noteSection, ascii("-4@%eax"), ascii("-4@%xyz"));
        ElfFile elf = ElfFile.parse(ByteBuffer.wrap(contents));

        assertThatThrownBy(elf::sdtNotes)
                .isInstanceOf(ElfFormatException.class)
                .hasMessage("SDT note fixture:tick: cannot parse SDT argument '-4@%xyz': unknown register %xyz");
    }

    @Test
    void semaphoreOutsideWritableSegmentIsAnError() throws Exception {
        byte[] contents = Files.readAllBytes(Fixtures.path("usdt"));
        ElfFile original = ElfFile.parse(ByteBuffer.wrap(contents));
        SdtNote guarded = original.sdtNotes().get(2);
        Section noteSection = original.section(".note.stapsdt").orElseThrow();
        replaceAll(contents, noteSection, le64(guarded.semaphore()), le64(guarded.pc()));

        assertThatThrownBy(() -> ElfFile.parse(ByteBuffer.wrap(contents)).sdtNotes())
                .isInstanceOf(ElfFormatException.class)
                .hasMessage(String.format("SDT note fixture:guarded: semaphore address 0x%x is not in the file-backed"
                        + " part of a writable PT_LOAD segment", guarded.pc()));
    }

    private static int replaceAll(byte[] contents, Section section, byte[] from, byte[] to) {
        int count = 0;
        for (int i = (int) section.offset(); i + from.length <= section.offset() + section.size(); i++) {
            if (ByteBuffer.wrap(contents, i, from.length).equals(ByteBuffer.wrap(from))) {
                System.arraycopy(to, 0, contents, i, to.length);
                count++;
            }
        }
        return count;
    }

    private static byte[] le64(long value) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
