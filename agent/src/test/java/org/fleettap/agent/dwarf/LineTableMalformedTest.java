package org.fleettap.agent.dwarf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Truncated and corrupted {@code .debug_line}: a {@link DwarfFormatException} quickly, never a hang or a crash. */
final class LineTableMalformedTest {
    private static final int FLIP_TRIALS = 3000;

    private static byte[] debugLine(DwarfSections sections) throws Exception {
        ByteBuffer b = sections.section(".debug_line").orElseThrow();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }

    @ParameterizedTest
    @ValueSource(strings = {"lines", "lines-O2", "loop-dwarf4", "state-O2"})
    void everyPrefixIsAnError(String fixture) throws Exception {
        DwarfSections sections = new DwarfSections(ElfFiles.map(Fixtures.path(fixture)));
        byte[] whole = debugLine(sections);
        LineStrings strings = LineStrings.of(sections);

        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            assertThat(LineTable.of(ByteBuffer.wrap(whole), strings, Map.of()).rows()).isNotEmpty();
            assertThat(LineTable.of(ByteBuffer.wrap(whole, 0, 0), strings, Map.of()).rows()).isEmpty();
            for (int n = 1; n < whole.length; n++) {
                LineTable t = LineTable.of(ByteBuffer.wrap(whole, 0, n), strings, Map.of());
                assertThatThrownBy(t::rows).as("prefix of %d bytes", n).isInstanceOf(DwarfFormatException.class)
                        .hasMessageStartingWith(".debug_line+0x");
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"lines", "lines-O2", "loop-dwarf4", "state", "state-O2"})
    void randomByteFlipsParseOrFailCleanly(String fixture) throws Exception {
        DwarfSections sections = new DwarfSections(ElfFiles.map(Fixtures.path(fixture)));
        byte[] whole = debugLine(sections);
        LineStrings strings = LineStrings.of(sections);
        Random random = new Random(fixture.hashCode());
        int[] failures = {0};

        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int trial = 0; trial < FLIP_TRIALS; trial++) {
                byte[] bytes = whole.clone();
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    int at = trial % 2 == 0 ? random.nextInt(Math.min(bytes.length, 400))
                            : random.nextInt(bytes.length);
                    bytes[at] ^= (byte) (1 << random.nextInt(8));
                }
                LineTable t = LineTable.of(ByteBuffer.wrap(bytes), strings, Map.of());
                try {
                    assertThat(t.rows().size()).isLessThanOrEqualTo(bytes.length);
                    t.lookup(random.nextInt(0x3000));
                    new SourceLines(t).statements(LineSpec.parse("*@lines.c:25"));
                } catch (DwarfFormatException e) {
                    failures[0]++;
                    assertThat(e.getMessage()).doesNotContain("\n").isNotBlank();
                } catch (LineNotFoundException e) {
                    assertThat(e.getMessage()).doesNotContain("\n");
                }
            }
        });
        assertThat(failures[0]).as("corrupted tables that were rejected").isGreaterThan(FLIP_TRIALS / 10);
    }
}
