package org.fleettap.agent.symbols;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Optional;
import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.perf.PerfRecord;
import org.fleettap.agent.perf.SampleType;
import org.fleettap.agent.perf.X86Reg;
import org.fleettap.agent.unwind.CallFrameInfo;
import org.fleettap.agent.unwind.Module;
import org.fleettap.agent.unwind.UnwindResult;
import org.fleettap.agent.unwind.Unwinder;
import org.fleettap.agent.unwind.UserRegisters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The user stack of a sample as return addresses: unwound with CFI from the sampled registers and stack copy
 * (works without frame pointers), or, where that yields no caller, the kernel's frame-pointer callchain.
 */
public final class Stacks {
    private static final Logger log = LoggerFactory.getLogger(Stacks.class);
    /** Callchain context markers (PERF_CONTEXT_*) are the top 4095 values. */
    private static final long PERF_CONTEXT_MAX = -4095L;

    private final ModuleTracker modules;
    private final int maxDepth;

    public Stacks(ModuleTracker modules, int maxDepth) {
        this.modules = modules;
        this.maxDepth = maxDepth;
    }

    /** Frame 0 is the sampled pc; the rest are return addresses. Empty when the sample carries no stack. */
    public long[] unwind(PerfRecord r) {
        long[] cfi = r.format().has(SampleType.REGS_USER | SampleType.STACK_USER) ? cfiUnwind(r) : new long[0];
        long[] chain = callchain(r);
        return cfi.length >= 2 || cfi.length >= chain.length ? cfi : chain;
    }

    private long[] cfiUnwind(PerfRecord r) {
        int pid = r.pid();
        long[] regs = new long[X86Reg.COUNT];
        long mask = 0;
        for (int reg = 0; reg < X86Reg.COUNT; reg++) {
            if ((r.format().regsUserMask() & (1L << reg)) != 0) {
                regs[reg] = r.userReg(reg);
                mask |= 1L << reg;
            }
        }
        if ((mask & (1L << X86Reg.IP)) == 0 || r.userRegsAbi() == SampleType.REGS_ABI_NONE) {
            return new long[0];
        }
        long size = Math.min(r.userStackSize(), Math.max(0, r.userStackDynSize()));
        ByteBuffer stack = r.buffer().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        stack.position(r.userStackOffset()).limit(r.userStackOffset() + (int) size);
        Unwinder unwinder = new Unwinder(address -> module(pid, address), maxDepth);
        UnwindResult result = unwinder.unwind(UserRegisters.of(mask, regs), stack.slice()
                .order(ByteOrder.LITTLE_ENDIAN));
        log.trace("unwound {} frames ({}: {})", result.frames().size(), result.stop(), result.detail());
        return result.frames().stream().mapToLong(Long::longValue).toArray();
    }

    private Optional<Module> module(int pid, long address) {
        return modules.find(pid, address).flatMap(m -> modules.cache().elf(m.path()).flatMap(elf ->
                cfi(elf, m.path()).map(cfi -> new Module(m.path().toString(), cfi, m.bias()))));
    }

    /**
     * The module's CFI, read once per build-id; empty (the unwind stops there) when it cannot be read, which is
     * warned about once, naming the file.
     */
    private Optional<CallFrameInfo> cfi(ElfFile elf, Path path) {
        return modules.cache().derived(elf, "cfi", e -> {
            try {
                return Optional.of(CallFrameInfo.of(e));
            } catch (DwarfFormatException ex) {
                log.warn("{}: call frame information unreadable, stacks stop in it: {}", path, ex.getMessage());
                return Optional.<CallFrameInfo>empty();
            }
        });
    }

    /** The user part of PERF_SAMPLE_CALLCHAIN, without the context markers. */
    static long[] callchain(PerfRecord r) {
        if (!r.format().has(SampleType.CALLCHAIN)) {
            return new long[0];
        }
        int n = r.callchainLength();
        long[] out = new long[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            long pc = r.callchain(i);
            if (Long.compareUnsigned(pc, PERF_CONTEXT_MAX) < 0) {
                out[k++] = pc;
            }
        }
        return java.util.Arrays.copyOf(out, k);
    }
}
