package org.fleettap.agent.unwind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Optional;
import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.dwarf.DwarfReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** CIE/FDE variants and every DW_CFA instruction, on hand-built sections. */
class CfiProgramTest {
    static final long EH_ADDR = 0x2000;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "absptr,   0x00, 0807060504030201, 0x0102030405060708",
        "uleb128,  0x01, e58e26,           624485",
        "udata2,   0x02, feff,             0xfffe",
        "udata4,   0x03, feffffff,         0xfffffffe",
        "udata8,   0x04, 0100000000000080, 0x8000000000000001",
        "sleb128,  0x09, c0bb78,           -123456",
        "sdata2,   0x0a, feff,             -2",
        "sdata4,   0x0b, feffffff,         -2",
        "sdata8,   0x0c, feffffffffffffff, -2",
        "pcrel,    0x1b, 10000000,         0x1014",   // section 0x1000 + field offset 4 + 0x10
        "textrel,  0x23, 10000000,         0x3010",
        "datarel,  0x33, 10000000,         0x5010",
        "funcrel,  0x43, 10000000,         0x7010",
        "indirect, 0x9b, 10000000,         0x1014",   // the pointer's address: nothing to dereference
        "aligned,  0x50, 0807060504030201, 0x0102030405060708",
    })
    void pointerEncodings(String name, String enc, String hex, String expected) throws Exception {
        byte[] field = java.util.HexFormat.of().parseHex(hex);
        // four bytes of padding first so pcrel and aligned see a non-zero field offset
        byte[] all = new byte[(enc.equals("0x50") ? 8 : 4) + field.length];
        System.arraycopy(field, 0, all, all.length - field.length, field.length);
        DwarfReader r = new DwarfReader("t", ByteBuffer.wrap(all));
        r.skip(enc.equals("0x50") ? 3 : 4);
        long v = PointerEncoding.read(r, Integer.decode(enc), new PointerEncoding.Bases(0x1000, 0x3000, 0x5000,
                0x7000));
        assertThat(v).isEqualTo(expected.startsWith("0x") ? Long.parseUnsignedLong(expected.substring(2), 16)
                : Long.parseLong(expected));
        assertThat(r.hasRemaining()).isFalse();
    }

    @Test
    void unknownAndOmittedEncodingsAreErrors() {
        DwarfReader r = new DwarfReader("t", ByteBuffer.wrap(new byte[8]));
        assertThatThrownBy(() -> PointerEncoding.read(r, 0x05, new PointerEncoding.Bases(0, 0, 0, 0)))
                .isInstanceOf(DwarfFormatException.class).hasMessageContaining("unknown pointer encoding 0x5");
        assertThatThrownBy(() -> PointerEncoding.read(r, 0x63, new PointerEncoding.Bases(0, 0, 0, 0)))
                .isInstanceOf(DwarfFormatException.class);
        assertThatThrownBy(() -> PointerEncoding.read(r, 0xff, new PointerEncoding.Bases(0, 0, 0, 0)))
                .isInstanceOf(DwarfFormatException.class).hasMessageContaining("omitted");
    }

    /** A "zPLRS" v3 CIE with pcrel FDE pointers, then an FDE using every row-building instruction. */
    @Test
    void everyInstructionOfAnAugmentedEhFrame() throws Exception {
        CfiBytes s = new CfiBytes();
        s.entry(new CfiBytes().u32(0).u8(3).cstring("zPLRS").uleb(1).sleb(-8).uleb(16)
                .uleb(1 + 4 + 1 + 1).u8(0x9b).u32(0x1234).u8(0x03).u8(0x1b)
                .u8(0x0c, 7, 8) // def_cfa rsp+8
                .u8(0x80 | 16, 1)); // offset ra c-8
        int fdeAt = s.size();
        // pc_begin pcrel: field at fdeAt+8, value so that begin = 0x1000
        long begin = 0x1000;
        long field = EH_ADDR + fdeAt + 8;
        CfiBytes fde = new CfiBytes().u32(fdeAt + 4).u32((begin - field) & 0xffffffffL).u32(0x100)
                .uleb(4).u32(0xdead) // LSDA (udata4)
                .u8(0x41) // advance_loc 1 -> 0x1001
                .u8(0x0e, 16) // def_cfa_offset 16
                .u8(0x86, 2) // offset rbp c-16
                .u8(0x02, 3) // advance_loc1 -> 0x1004
                .u8(0x0d, 6) // def_cfa_register rbp
                .u8(0x11, 3).sleb(3) // offset_extended_sf rbx c-24
                .u8(0x03).u16(4) // advance_loc2 -> 0x1008
                .u8(0x0a) // remember_state
                .u8(0x12, 7).sleb(-3) // def_cfa_sf rsp+24
                .u8(0x14, 12, 4) // val_offset r12 v-32
                .u8(0x15, 13).sleb(5) // val_offset_sf r13 v-40
                .u8(0x09, 14, 3) // register r14 in rbx
                .u8(0x08, 15) // same_value r15
                .u8(0x07, 0) // undefined rax
                .u8(0x2e, 32) // GNU_args_size
                .u8(0x2f, 1, 6) // GNU_negative_offset_extended rdx c+48
                .u8(0x05, 2, 7) // offset_extended rcx c-56
                .u8(0x04).u32(8) // advance_loc4 -> 0x1010
                .u8(0x0b) // restore_state
                .u8(0xc6) // restore rbp (CIE had none)
                .u8(0x06, 16) // restore_extended ra (CIE: c-8)
                .u8(0x13).sleb(-4) // def_cfa_offset_sf 32 (rbp+32)
                .u8(0x10, 3, 2, 0x77, 0x10) // expression rbx: breg7 16
                .u8(0x16, 12, 1, 0x31) // val_expression r12: lit1
                .u8(0x01).u64(0x1020) // set_loc (absptr with pcrel? no: R is pcrel sdata4)
                ;
        // set_loc uses the FDE encoding (pcrel sdata4): replace the last 9 bytes with a proper one
        byte[] f = fde.toArray();
        CfiBytes fixed = new CfiBytes().bytes(java.util.Arrays.copyOf(f, f.length - 9));
        int setLocField = fdeAt + 4 + fixed.size() + 1;
        fixed.u8(0x01).u32((0x1020 - (EH_ADDR + setLocField)) & 0xffffffffL)
                .u8(0x0f, 3, 0x76, 0x20, 0x06); // def_cfa_expression: breg6 32; deref
        s.entry(fixed).u32(0);
        FrameSection eh = FrameSection.ehFrame(s.buffer(), EH_ADDR, 0, 0, Optional.empty());

        Fde d = eh.find(0x1000).orElseThrow();
        assertThat(d.pcBegin()).isEqualTo(0x1000);
        assertThat(d.pcEnd()).isEqualTo(0x1100);
        Cie c = d.cie();
        assertThat(c.augmentation()).isEqualTo("zPLRS");
        assertThat(c.signalFrame()).isTrue();
        assertThat(c.lsdaEncoding()).isEqualTo(0x03);
        assertThat(eh.find(0xfff)).isEmpty();
        assertThat(eh.find(0x1100)).isEmpty();

        UnwindRow r0 = CfiProgram.row(eh, d, 0x1000);
        assertThat(ReadelfFrames.cfa(r0)).isEqualTo("rsp+8");
        assertThat(r0.end()).isEqualTo(0x1001);
        UnwindRow r1 = CfiProgram.row(eh, d, 0x1003);
        assertThat(ReadelfFrames.cfa(r1)).isEqualTo("rsp+16");
        assertThat(ReadelfFrames.rule(r1, 6)).isEqualTo("c-16");
        UnwindRow r2 = CfiProgram.row(eh, d, 0x1004);
        assertThat(ReadelfFrames.cfa(r2)).isEqualTo("rbp+16");
        assertThat(ReadelfFrames.rule(r2, 3)).isEqualTo("c-24");
        UnwindRow r3 = CfiProgram.row(eh, d, 0x100f);
        assertThat(ReadelfFrames.cfa(r3)).isEqualTo("rsp+24");
        assertThat(new String[] {ReadelfFrames.rule(r3, 12), ReadelfFrames.rule(r3, 13), ReadelfFrames.rule(r3, 14),
            ReadelfFrames.rule(r3, 15), ReadelfFrames.rule(r3, 0), ReadelfFrames.rule(r3, 1),
            ReadelfFrames.rule(r3, 2)})
                .containsExactly("v-32", "v-40", "r3", "s", "u", "c+48", "c-56");
        assertThat(r3.rules()).containsKey(0); // explicitly undefined
        UnwindRow r4 = CfiProgram.row(eh, d, 0x1010);
        assertThat(ReadelfFrames.cfa(r4)).isEqualTo("rbp+32");
        assertThat(r4.rules()).doesNotContainKeys(6, 12 + 1, 14);
        assertThat(ReadelfFrames.rule(r4, 16)).isEqualTo("c-8");
        assertThat(ReadelfFrames.rule(r4, 3)).isEqualTo("exp");
        assertThat(ReadelfFrames.rule(r4, 12)).isEqualTo("vexp");
        assertThat(r4.end()).isEqualTo(0x1020);
        UnwindRow r5 = CfiProgram.row(eh, d, 0x10ff);
        assertThat(r5.cfa()).get().isInstanceOf(CfaRule.Expression.class);
        assertThat(r5.start()).isEqualTo(0x1020);
        assertThat(r5.end()).isEqualTo(0x1100);
        assertThat(CfiProgram.rows(eh, d)).extracting(UnwindRow::start)
                .containsExactly(0x1000L, 0x1001L, 0x1004L, 0x1008L, 0x1010L, 0x1020L);
    }

    @Test
    void debugFrameWithVersion4And64BitEntries() throws Exception {
        CfiBytes s = new CfiBytes();
        // a 64-bit DWARF CIE: 0xffffffff, 8-byte length, 8-byte id of all ones
        CfiBytes cie = new CfiBytes().u64(-1L).u8(4).cstring("").u8(8, 0).uleb(1).sleb(-8).uleb(16)
                .u8(0x0c, 7, 8).u8(0x90, 1);
        s.u32(0xffffffffL).u64(cie.size()).bytes(cie.toArray());
        CfiBytes fde = new CfiBytes().u64(0).u64(0x400000).u64(0x20).u8(0x44).u8(0x0e, 16);
        s.u32(0xffffffffL).u64(fde.size()).bytes(fde.toArray());
        FrameSection df = FrameSection.debugFrame(s.buffer());
        assertThat(df.fdes()).hasSize(1);
        Fde d = df.find(0x400010).orElseThrow();
        assertThat(d.cie().version()).isEqualTo(4);
        assertThat(d.cie().addressSize()).isEqualTo(8);
        assertThat(ReadelfFrames.cfa(CfiProgram.row(df, d, 0x400003))).isEqualTo("rsp+8");
        assertThat(ReadelfFrames.cfa(CfiProgram.row(df, d, 0x400004))).isEqualTo("rsp+16");
    }

    @Test
    void version1CieWithTheOldEhAugmentation() throws Exception {
        CfiBytes s = new CfiBytes();
        s.entry(new CfiBytes().u32(0).u8(1).cstring("eh").u64(0xabc).uleb(1).sleb(-8).u8(16)
                .u8(0x0c, 7, 8).u8(0x90, 1));
        int fdeAt = s.size();
        s.entry(new CfiBytes().u32(fdeAt + 4).u64(0x5000).u64(0x10).u8(0x41, 0x0e, 16)).u32(0);
        FrameSection eh = FrameSection.ehFrame(s.buffer(), EH_ADDR, 0, 0, Optional.empty());
        Fde d = eh.find(0x5001).orElseThrow();
        assertThat(d.cie().augmentation()).isEqualTo("eh");
        assertThat(ReadelfFrames.cfa(CfiProgram.row(eh, d, 0x5001))).isEqualTo("rsp+16");
    }

    @Test
    void malformedEntriesAreErrorsNamingTheOffset() {
        CfiBytes badVersion = new CfiBytes().entry(new CfiBytes().u32(0).u8(2).cstring("").uleb(1).sleb(-8).uleb(16));
        assertThatThrownBy(() -> FrameSection.ehFrame(badVersion.buffer(), 0, 0, 0, Optional.empty()).fdes())
                .isInstanceOf(DwarfFormatException.class).hasMessageContaining(".eh_frame+0x8")
                .hasMessageContaining("CIE version 2");
        CfiBytes unknownAug = new CfiBytes().entry(new CfiBytes().u32(0).u8(1).cstring("xy").uleb(1).sleb(-8)
                .u8(16));
        assertThatThrownBy(() -> FrameSection.ehFrame(unknownAug.buffer(), 0, 0, 0, Optional.empty()).fdes())
                .isInstanceOf(DwarfFormatException.class).hasMessageContaining("unknown augmentation \"xy\"");
        CfiBytes s = new CfiBytes();
        s.entry(new CfiBytes().u32(0).u8(1).cstring("").uleb(1).sleb(-8).u8(16).u8(0x0c, 7, 8));
        int fdeAt = s.size();
        s.entry(new CfiBytes().u32(fdeAt + 4).u64(0x5000).u64(0x10).u8(0x0b)); // restore_state, nothing saved
        s.entry(new CfiBytes().u32(s.size() + 4).u64(0x6000).u64(0x10).u8(0x2d)); // GNU_window_save (SPARC)
        FrameSection eh = FrameSection.ehFrame(s.buffer(), 0, 0, 0, Optional.empty());
        assertThatThrownBy(() -> CfiProgram.row(eh, eh.find(0x5000).orElseThrow(), 0x5000))
                .hasMessageContaining("DW_CFA_restore_state without DW_CFA_remember_state");
        assertThatThrownBy(() -> CfiProgram.row(eh, eh.find(0x6000).orElseThrow(), 0x6000))
                .hasMessageContaining("unsupported call frame instruction 0x2d");
        CfiBytes wildCie = new CfiBytes().entry(new CfiBytes().u32(0x7fff0000L).u64(0).u64(1));
        assertThatThrownBy(() -> FrameSection.ehFrame(wildCie.buffer(), 0, 0, 0, Optional.empty()).fdes())
                .hasMessageContaining("CIE pointer");
    }
}
