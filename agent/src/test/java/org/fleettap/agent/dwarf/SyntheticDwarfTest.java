package org.fleettap.agent.dwarf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.agent.testing.LeBytes;
import org.junit.jupiter.api.Test;

/** Hand-built DWARF 5: forms gcc does not emit (strx1, addrx1, implicit_const, ref_udata), cycles, dwz forms. */
class SyntheticDwarfTest {
    private static final byte[] ABBREV = bytes(
            1, 0x11, 1, 0x03, 0x08, 0x13, 0x0b, 0x72, 0x17, 0x73, 0x17, 0, 0,
            2, 0x2e, 1, 0x03, 0x25, 0x11, 0x29, 0x12, 0x06, 0x3f, 0x19, 0x3b, 0x21, 42, 0x49, 0x15, 0, 0,
            3, 0x05, 0, 0x03, 0x08, 0x49, 0x13, 0x02, 0x18, 0, 0,
            4, 0x16, 0, 0x03, 0x08, 0x49, 0x13, 0, 0,
            5, 0x24, 0, 0x03, 0x08, 0x0b, 0x0b, 0x3e, 0x0b, 0, 0,
            6, 0x0f, 0, 0x49, 0x13, 0, 0,
            // name in a dwz alternate file (DW_FORM_GNU_strp_alt, 0x1f21 as ULEB128)
            7, 0x2e, 0, 0x03, 0xa1, 0x3e, 0, 0,
            0);

    /** .debug_info with f(int a, T t, P p) where typedef T is T and pointer P points to P; g's name is dwz's. */
    private static ByteBuffer info(boolean withAlternateName) {
        Out o = new Out();
        o.u32(0).u16(5).u8(1).u8(8).u32(0);
        o.u8(1).cstring("t.c").u8(0x1d).u32(8).u32(8);
        int intAt = o.size();
        o.u8(5).cstring("int").u8(4).u8(5);
        int typedefAt = o.size();
        o.u8(4).cstring("T").u32(typedefAt);
        int pointerAt = o.size();
        o.u8(6).u32(pointerAt);
        o.u8(2).u8(0).u8(0).u32(0x10).u8(intAt); // ref_udata as one ULEB128 byte
        o.u8(3).cstring("a").u32(intAt).u8(1).u8(0x55);
        o.u8(3).cstring("t").u32(typedefAt).u8(1).u8(0x54);
        o.u8(3).cstring("p").u32(pointerAt).u8(1).u8(0x51);
        o.u8(0);
        if (withAlternateName) {
            o.u8(7).u32(0);
        }
        o.u8(0);
        ByteBuffer b = o.buffer();
        b.putInt(0, b.remaining() - 4);
        return b;
    }

    private static Map<String, ByteBuffer> sections(boolean withAlternateName) {
        return Map.of(".debug_abbrev", ByteBuffer.wrap(ABBREV), ".debug_info", info(withAlternateName),
                ".debug_str_offsets", new Out().u32(8).u16(5).u16(0).u32(0).buffer(),
                ".debug_str", new Out().cstring("f").buffer(),
                ".debug_addr", new Out().u32(12).u16(5).u8(8).u8(0).u64(0x1000).buffer());
    }

    private static DebugInfo debugInfo(boolean withAlternateName) {
        return DebugInfo.of(DebugInfos.sections(Fixtures.path("libfixturelib.so")), sections(withAlternateName));
    }

    @Test
    void indexedStringsAddressesAndImplicitConstants() throws Exception {
        DebugInfo info = debugInfo(false);
        List<Function> fs = info.functions();
        assertThat(fs).hasSize(1);
        Function f = fs.get(0);
        assertThat(f.name()).isEqualTo("f");
        assertThat(f.ranges()).containsExactly(new AddressRange(0x1000, 0x1010));
        assertThat(f.declLine()).isEqualTo(42);
        assertThat(f.external()).isTrue();
        assertThat(info.returnType(f).printableName()).isEqualTo("int");
        assertThat(info.functionAt(0x100f)).contains(f);
        assertThat(info.functionAt(0x1010)).isEmpty();
        List<Parameter> ps = info.parameters(f);
        assertThat(ps).extracting(Parameter::name).containsExactly("a", "t", "p");
        assertThat(ps.get(0).location().expression().orElseThrow().register()).hasValue("rdi");
        assertThat(ps.get(1).type().printableName()).isEqualTo("T");
    }

    @Test
    void typeCyclesAreFormatErrors() throws Exception {
        DebugInfo info = debugInfo(false);
        Function f = info.functions().get(0);
        List<Parameter> ps = info.parameters(f);
        assertThatThrownBy(() -> ps.get(1).type().resolved()).isInstanceOf(DwarfFormatException.class)
                .hasMessageContaining("cycle");
        assertThatThrownBy(() -> ps.get(2).type().printableName()).isInstanceOf(DwarfFormatException.class)
                .hasMessageContaining("cycle");
        assertThatThrownBy(() -> ParameterLocations.atEntry(info, f)).isInstanceOf(DwarfFormatException.class);
    }

    @Test
    void dwzAlternateFormsAreNotSupported() {
        assertThatThrownBy(() -> debugInfo(true).subprograms()).isInstanceOf(DwarfFormatException.class)
                .hasMessageContaining("form 0x1f21").hasMessageContaining("not supported");
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    /** A little-endian byte builder. */
    private static final class Out extends LeBytes<Out> {
    }
}
