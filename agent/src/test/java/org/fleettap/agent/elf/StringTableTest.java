package org.fleettap.agent.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** String table lookups: bounds, termination, and the cap on decoded names. */
final class StringTableTest {

    @Test
    void readsNamesByOffset() throws Exception {
        StringTable table = table("\0main\0f\0");

        assertThat(table.at(0, "symbol 0")).isEmpty();
        assertThat(table.at(1, "symbol 1")).isEqualTo("main");
        assertThat(table.at(3, "symbol 2")).isEqualTo("in");
        assertThat(table.after(1, "symbol 1")).isEqualTo(6);
        assertThat(table.at(6, "symbol 3")).isEqualTo("f");
    }

    @Test
    void offsetOutsideOrUnterminatedIsAnError() {
        assertThatThrownBy(() -> table("\0main\0").at(6, "symbol 7"))
                .isInstanceOf(ElfFormatException.class)
                .hasMessage("symbol 7: name offset 0x6 is outside test table (size 0x6)");
        assertThatThrownBy(() -> table("\0main").at(1, "symbol 1"))
                .isInstanceOf(ElfFormatException.class)
                .hasMessage("symbol 1: name at offset 0x1 of test table is not NUL-terminated");
    }

    @Test
    void manyNamesIntoOneLongStringAreCapped() {
        byte[] bytes = new byte[1 << 20];
        Arrays.fill(bytes, 0, bytes.length - 1, (byte) 'a');
        StringTable table = new StringTable(new ElfBytes(ByteBuffer.wrap(bytes)), "test table", 0, bytes.length);

        assertThatThrownBy(() -> {
            for (int i = 0; i < 100; i++) {
                table.at(i, "symbol " + i);
            }
        }).isInstanceOf(ElfFormatException.class)
                .hasMessageMatching("symbol \\d+: names decoded from test table exceed 16 times its size");
    }

    private static StringTable table(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return new StringTable(new ElfBytes(ByteBuffer.wrap(bytes)), "test table", 0, bytes.length);
    }
}
