package org.fleettap.agent.dwarf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Truncated and corrupted entries give DwarfFormatException quickly: never a hang, overflow or runaway memory. */
class CorruptDebugInfoTest {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"libfixturelib.so, .debug_info", "libfixturelib.so, .debug_abbrev", "lines-O2, .debug_abbrev"})
    void everyPrefix(String fixture, String section) throws Exception {
        DwarfSections sections = DebugInfos.sections(org.fleettap.agent.testing.Fixtures.path(fixture));
        ByteBuffer whole = sections.section(section).orElseThrow();
        int size = whole.remaining();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int failures = 0;
            for (int n = 0; n < size; n++) {
                ByteBuffer prefix = whole.duplicate();
                prefix.limit(prefix.position() + n);
                failures += exercise(sections, Map.of(section, prefix.slice()), section + " prefix " + n) ? 0 : 1;
            }
            assertThat(failures).as("prefixes that do not parse").isPositive();
        });
    }

    @ParameterizedTest(name = "{0} {1} seed {2}")
    @CsvSource({"libfixturelib.so, .debug_info, 1", "libfixturelib.so, .debug_abbrev, 2", "lines, .debug_info, 3",
        "lines-O2, .debug_info, 4", "lines-O2, .debug_loclists, 5", "state-O2, .debug_rnglists, 6",
        "lines, .debug_str, 7", "state, .debug_info, 8"})
    void randomFlips(String fixture, String section, long seed) throws Exception {
        DwarfSections sections = DebugInfos.sections(org.fleettap.agent.testing.Fixtures.path(fixture));
        ByteBuffer whole = sections.section(section).orElseThrow();
        byte[] original = new byte[whole.remaining()];
        whole.duplicate().get(original);
        Random random = new Random(seed);
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            for (int i = 0; i < 300; i++) {
                byte[] copy = original.clone();
                int flips = 1 + random.nextInt(4);
                StringBuilder what = new StringBuilder(section + " seed " + seed + " round " + i + " flips");
                for (int f = 0; f < flips; f++) {
                    int at = random.nextInt(copy.length);
                    int value = random.nextInt(256);
                    copy[at] = (byte) value;
                    what.append(" 0x").append(Integer.toHexString(at)).append('=').append(value);
                }
                exercise(sections, Map.of(section, ByteBuffer.wrap(copy)), what.toString());
            }
        });
    }

    /** Asks everything of the corrupted information; true if it all parsed, false on a DwarfFormatException. */
    static boolean exercise(DwarfSections sections, Map<String, ByteBuffer> replaced, String what) {
        long start = System.nanoTime();
        try {
            DebugInfo info = DebugInfo.of(sections, replaced);
            for (Function f : info.subprograms()) {
                info.functionAt(f.entryPc());
                info.functionsNamed(f.name());
                info.returnType(f).printableName();
                for (Parameter p : info.parameters(f)) {
                    p.type().printableName();
                    p.type().byteSize();
                    p.type().resolved().members();
                    p.location().at(f.entryPc()).ifPresent(e -> {
                        try {
                            e.ops();
                        } catch (DwarfFormatException ignored) {
                            // a corrupt expression is a fine answer
                        }
                    });
                }
                if (f.hasCode()) {
                    ParameterLocations.atEntry(info, f);
                    ParameterLocations.returnValue(info, f);
                }
            }
            for (DwarfType t : info.typesNamed("int")) {
                t.members();
            }
            return true;
        } catch (DwarfFormatException e) {
            assertThat(e.getMessage()).as(what + ": one line").doesNotContain("\n").isNotBlank();
            return false;
        } catch (Throwable t) {
            fail(what + ": " + t, t);
            return false;
        } finally {
            assertThat(System.nanoTime() - start).as(what + " time (ns)").isLessThan(5_000_000_000L);
        }
    }
}
