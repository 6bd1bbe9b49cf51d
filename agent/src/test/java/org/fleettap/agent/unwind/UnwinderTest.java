package org.fleettap.agent.unwind;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.perf.X86Reg;
import org.junit.jupiter.api.Test;

/** The unwinder on synthetic stacks: signal frames, the frame-pointer fallback, and each way it stops. */
class UnwinderTest {
    static final long SP = 0x7ffd0000L;

    private static ByteBuffer stack(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static UserRegisters regs(long ip, long sp, long bp) {
        return UserRegisters.none().with(X86Reg.IP, ip).with(X86Reg.SP, sp).with(X86Reg.BP, bp);
    }

    @Test
    void throughGlibcSignalTrampolineToTheInterruptedPc() throws Exception {
        ElfFile libc = ElfFiles.map(CfiReadelfTest.LIBC);
        CallFrameInfo cfi = CallFrameInfo.of(libc);
        FrameSection eh = cfi.sections().get(0);
        Fde restorer = eh.fdes().stream().filter(f -> f.cie().signalFrame()).findFirst().orElseThrow();
        // the interrupted function: some libc function at its first instruction (CFA rsp+8)
        Fde victim = eh.fdes().stream().filter(f -> !f.cie().signalFrame()
                && ReadelfFrames.cfa(rowOf(eh, f)).equals("rsp+8") && f.pcBegin() > restorer.pcEnd())
                .findFirst().orElseThrow();
        long bias = 0x7f0000000000L;
        ModuleLookup modules = a -> Optional.of(new Module("libc", cfi, bias));
        ByteBuffer s = stack(1024);
        // at the restorer, rsp points at the ucontext: uc_mcontext.gregs at 40, rsp [15], rip [16], rbx [11]
        long interruptedSp = SP + 512;
        s.putLong(40 + 15 * 8, interruptedSp);
        s.putLong(40 + 16 * 8, victim.pcBegin() + bias);
        s.putLong(40 + 11 * 8, 0x1111);
        s.putLong(512, 0); // the interrupted function's return address: the end
        UnwindResult r = new Unwinder(modules).unwind(regs(restorer.pcBegin() + 1 + bias, SP, 0), s);
        assertThat(r.frames()).containsExactly(restorer.pcBegin() + 1 + bias, victim.pcBegin() + bias);
        assertThat(r.stop()).as(r.detail()).isEqualTo(StopReason.END_OF_STACK);
    }

    private static UnwindRow rowOf(FrameSection eh, Fde f) {
        try {
            return CfiProgram.row(eh, f, f.pcBegin());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void framePointerChainWithoutCfi() {
        ModuleLookup modules = a -> Optional.of(new Module("nocfi", new CallFrameInfo(List.of()), 0));
        ByteBuffer s = stack(256);
        s.putLong(0x40, SP + 0x80).putLong(0x48, 0x401111); // frame 1: saved rbp, return address
        s.putLong(0x80, 0).putLong(0x88, 0x402222); // frame 2: rbp 0 ends the chain
        UnwindResult r = new Unwinder(modules).unwind(regs(0x400000, SP, SP + 0x40), s);
        assertThat(r.frames()).containsExactly(0x400000L, 0x401111L, 0x402222L);
        assertThat(r.stop()).isEqualTo(StopReason.END_OF_STACK);

        UnwindResult wild = new Unwinder(modules).unwind(regs(0x400000, SP, SP + 0x4000), s);
        assertThat(wild.frames()).containsExactly(0x400000L);
        assertThat(wild.stop()).isEqualTo(StopReason.NO_UNWIND_INFO);
        assertThat(wild.detail()).contains("rbp 0x7ffd4000 is not a frame in the stack copy");
    }

    @Test
    void stopsAtAnUnknownModuleAndWithoutIpOrSp() {
        UnwindResult r = new Unwinder(a -> Optional.empty()).unwind(regs(0x1234, SP, 0), stack(64));
        assertThat(r.frames()).containsExactly(0x1234L);
        assertThat(r.stop()).isEqualTo(StopReason.UNKNOWN_MODULE);
        assertThat(r.detail()).isEqualTo("pc 0x1234 is in no known module");
        UnwindResult none = new Unwinder(a -> Optional.empty()).unwind(UserRegisters.none(), stack(0));
        assertThat(none.frames()).isEmpty();
        assertThat(none.stop()).isEqualTo(StopReason.UNKNOWN_REGISTER);
    }

    @Test
    void stopsWhenTheCfaDoesNotAdvance() throws Exception {
        // CFA = rsp + 0 and the return address saved at CFA + 0: a self-loop
        CfiBytes b = new CfiBytes();
        b.entry(new CfiBytes().u32(0).u8(1).cstring("").uleb(1).sleb(-8).u8(16).u8(0x0c, 7, 0).u8(0x90, 0));
        b.entry(new CfiBytes().u32(b.size() + 4).u64(0x1000).u64(0x100)).u32(0);
        CallFrameInfo cfi = new CallFrameInfo(List.of(FrameSection.ehFrame(b.buffer(), 0, 0, 0, Optional.empty())));
        ByteBuffer s = stack(64);
        s.putLong(0, 0x1010);
        UnwindResult r = new Unwinder(a -> Optional.of(new Module("loop", cfi, 0))).unwind(regs(0x1010, SP, 0), s);
        assertThat(r.frames()).containsExactly(0x1010L);
        assertThat(r.stop()).isEqualTo(StopReason.CFA_NOT_ADVANCING);
    }

    @Test
    void moduleMapAndLoadBias() throws Exception {
        Module a = new Module("a", new CallFrameInfo(List.of()), 0);
        Module b = new Module("b", new CallFrameInfo(List.of()), 0);
        ModuleMap map = ModuleMap.builder().add(0x2000, 0x3000, b).add(0x1000, 0x2000, a).build();
        assertThat(map.find(0x1000)).containsSame(a);
        assertThat(map.find(0x2fff)).containsSame(b);
        assertThat(map.find(0x3000)).isEmpty();
        assertThat(map.find(0xfff)).isEmpty();
        ElfFile libc = ElfFiles.map(CfiReadelfTest.LIBC);
        // as in gdb's mappings: r-xp at 0x7ffff7dfb000 from offset 0x26000, r--p at 0x7ffff7dd5000 from 0
        assertThat(Module.loadBias(libc, 0x7ffff7dfb000L, 0x26000)).hasValue(0x7ffff7dd5000L);
        assertThat(Module.loadBias(libc, 0x7ffff7dd5000L, 0)).hasValue(0x7ffff7dd5000L);
    }
}
