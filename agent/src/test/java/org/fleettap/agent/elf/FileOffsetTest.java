package org.fleettap.agent.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Virtual address to file offset, checked against readelf's section table and hex dump. */
final class FileOffsetTest {

    @ParameterizedTest(name = "{1} in {0}")
    @CsvSource({"loop, f", "loop-nopie, f", "loop-O2, f", "libfixturelib.so, lib_add", "libfixturelib.so, lib_touch",
        "many, fn_0999"})
    void functionOffsetIsWhereItsBytesAre(String fixture, String function) throws Exception {
        Path file = Fixtures.path(fixture);
        ElfFile elf = ElfFiles.map(file);
        ElfSymbol symbol = elf.functionsNamed(function).get(0);
        Readelf.SectionLine text = Readelf.sections(file).stream().filter(s -> s.name().equals(".text"))
                .findFirst().orElseThrow();

        long offset = elf.fileOffset(symbol.value());

        assertThat(offset).isEqualTo(symbol.value() - text.addr() + text.offset());
        byte[] contents = Files.readAllBytes(file);
        Map<Long, Byte> dump = Readelf.hexDump(file, ".text");
        assertThat(symbol.size()).isPositive();
        for (long i = 0; i < symbol.size(); i++) {
            assertThat(contents[(int) (offset + i)]).as("byte %d of %s", i, function)
                    .isEqualTo(dump.get(symbol.value() + i));
        }
    }

    @Test
    void nonPieAddressesAreAboveTheLoadAddress() throws Exception {
        ElfFile elf = ElfFiles.map(Fixtures.path("loop-nopie"));

        assertThat(elf.type()).isEqualTo(ElfType.EXEC);
        assertThat(elf.functionsNamed("f").get(0).value()).isGreaterThanOrEqualTo(0x400000);
        assertThat(ElfFiles.map(Fixtures.path("loop")).type()).isEqualTo(ElfType.DYN);
        assertThat(ElfFiles.map(Fixtures.path("libfixturelib.so")).type()).isEqualTo(ElfType.DYN);
    }

    @Test
    void addressOutsideEverySegmentIsAnError() throws Exception {
        ElfFile elf = ElfFiles.map(Fixtures.path("loop-nopie"));

        assertThatThrownBy(() -> elf.fileOffset(0x10))
                .isInstanceOf(ElfFormatException.class)
                .hasMessage("address 0x10 is not in the file-backed part of any PT_LOAD segment");
        assertThatThrownBy(() -> elf.fileOffset(-1L))
                .isInstanceOf(ElfFormatException.class)
                .hasMessage("address 0xffffffffffffffff is not in the file-backed part of any PT_LOAD segment");
    }

    @Test
    void bssHasNoFileOffset() throws Exception {
        ElfFile elf = ElfFiles.map(Fixtures.path("loop"));
        ElfSymbol count = elf.symbolsNamed("count").get(0);

        assertThat(elf.section(".bss").orElseThrow().addr()).isLessThanOrEqualTo(count.value());
        assertThatThrownBy(() -> elf.fileOffset(count.value()))
                .isInstanceOf(ElfFormatException.class)
                .hasMessageContaining("not in the file-backed part");
    }
}
