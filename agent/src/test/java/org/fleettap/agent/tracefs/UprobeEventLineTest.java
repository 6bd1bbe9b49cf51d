package org.fleettap.agent.tracefs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UprobeEventLineTest {

    @Test
    void parsesTheKernelsListing() {
        String text = """
                p:fleettap_1234/f_entry /path/loop:0x0000000000001139 arg1=%di:u32 s=+0(%si):string
                r:fleettap_1234/f_return /path/loop:0x0000000000001139 r=$retval:s32
                p:uprobes/p_loop_0x1139 /path/loop:0x0000000000001139
                p:other/mark /path/usdt:0x0000000000001234(0x4010)

                garbage
                p:nogroup /x:0x1
                """;

        assertThat(UprobeEventLine.parseAll(text)).containsExactly(
                new UprobeEventLine(false, "fleettap_1234", "f_entry",
                        "/path/loop:0x0000000000001139 arg1=%di:u32 s=+0(%si):string"),
                new UprobeEventLine(true, "fleettap_1234", "f_return", "/path/loop:0x0000000000001139 r=$retval:s32"),
                new UprobeEventLine(false, "uprobes", "p_loop_0x1139", "/path/loop:0x0000000000001139"),
                new UprobeEventLine(false, "other", "mark", "/path/usdt:0x0000000000001234(0x4010)"));
        assertThat(UprobeEventLine.parseAll(text).get(0).qualifiedName()).isEqualTo("fleettap_1234/f_entry");
    }

    @Test
    void anEmptyFileHasNoEvents() {
        assertThat(UprobeEventLine.parseAll("")).isEmpty();
    }
}
