package org.fleettap.agent.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProcessMemoryTest {
    private final int self = (int) ProcessHandle.current().pid();
    private final ProcessMemory memory = new ProcessMemory();

    @Test
    void readsIntegersOfEverySizeWithSignAsAsked() throws Exception {
        Memory m = new Memory(16);
        m.setLong(0, 0xfedc_ba98_7654_3210L);
        long at = Pointer.nativeValue(m);
        assertThat(memory.readInteger(self, at, 8, false)).isEqualTo(0xfedc_ba98_7654_3210L);
        assertThat(memory.readInteger(self, at, 4, false)).isEqualTo(0x7654_3210L);
        assertThat(memory.readInteger(self, at + 4, 4, true)).isEqualTo((long) (int) 0xfedc_ba98);
        assertThat(memory.readInteger(self, at + 4, 4, false)).isEqualTo(0xfedc_ba98L);
        assertThat(memory.readInteger(self, at + 6, 2, true)).isEqualTo((long) (short) 0xfedc);
        assertThat(memory.readInteger(self, at + 7, 1, false)).isEqualTo(0xfeL);
        assertThat(memory.readInteger(self, at + 7, 1, true)).isEqualTo(-2L);
    }

    @Test
    void readsStringsToTheirNulOrTheLimit() throws Exception {
        byte[] text = "hello, fleet\0after".getBytes(StandardCharsets.UTF_8);
        Memory m = new Memory(text.length);
        m.write(0, text, 0, text.length);
        long at = Pointer.nativeValue(m);
        assertThat(memory.readString(self, at, 512)).isEqualTo("hello, fleet");
        assertThat(memory.readString(self, at, 5)).isEqualTo("hello");
        assertThat(memory.readString(self, at + 7, 512)).isEqualTo("fleet");
    }

    @Test
    void aStringAcrossAPageBoundaryIsReadWhole() throws Exception {
        Memory m = new Memory(3 * 4096);
        long page = (Pointer.nativeValue(m) + 4095) & ~4095L;
        long at = page + 4096 - 3;
        byte[] text = "abcdef\0".getBytes(StandardCharsets.US_ASCII);
        m.write(at - Pointer.nativeValue(m), text, 0, text.length);
        assertThat(memory.readString(self, at, 512)).isEqualTo("abcdef");
    }

    @Test
    void unmappedAddressesAreAFaultNamingTheAddress() {
        assertThatThrownBy(() -> memory.readInteger(self, 0x10, 8, false))
                .isInstanceOf(ProcessMemory.ReadException.class)
                .hasMessage("user memory fault at 0x10 in process " + self);
        assertThatThrownBy(() -> memory.readString(self, 0x20, 512))
                .hasMessage("user memory fault at 0x20 in process " + self);
    }

    @Test
    void aProcessThatExitedIsNamed() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        int pid = (int) p.pid();
        assertThatThrownBy(() -> memory.readInteger(pid, 0x400000, 8, false))
                .isInstanceOf(ProcessMemory.ReadException.class)
                .hasMessage("process " + pid + " has exited, its memory at 0x400000 is gone");
    }
}
