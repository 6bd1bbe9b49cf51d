package org.fleettap.agent.elf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** .gnu_debuglink against readelf and against objcopy --add-gnu-debuglink. */
final class DebugLinkTest {

    @Test
    void libcDebugLinkMatchesReadelf() throws Exception {
        String links = Fixtures.run("readelf", "--debug-dump=links", Readelf.LIBC.toString());
        String name = links.lines().filter(l -> l.contains("Separate debug info file: ")).findFirst().orElseThrow()
                .split("Separate debug info file: ")[1].trim();
        String crc = links.lines().filter(l -> l.contains("CRC value: ")).findFirst().orElseThrow()
                .split("CRC value: ")[1].trim();

        DebugLink link = ElfFiles.map(Readelf.LIBC).debugLink().orElseThrow();

        assertThat(link.fileName()).isEqualTo(name);
        assertThat("0x" + Long.toHexString(link.crc32())).isEqualTo(crc);
    }

    @Test
    void debugLinkAddedByObjcopy(@TempDir Path dir) throws Exception {
        Path debug = dir.resolve("loop.debug");
        Path stripped = dir.resolve("loop");
        Fixtures.run("objcopy", "--only-keep-debug", Fixtures.path("loop").toString(), debug.toString());
        Fixtures.run("objcopy", "--strip-debug", "--add-gnu-debuglink=" + debug, Fixtures.path("loop").toString(),
                stripped.toString());
        CRC32 crc = new CRC32();
        crc.update(Files.readAllBytes(debug));

        ElfFile elf = ElfFiles.map(stripped);

        assertThat(elf.debugLink()).contains(new DebugLink("loop.debug", crc.getValue()));
        assertThat(ElfFiles.map(debug).buildId()).isEqualTo(elf.buildId()).isPresent();
        assertThat(ElfFiles.map(Fixtures.path("loop")).debugLink()).isEmpty();
    }
}
