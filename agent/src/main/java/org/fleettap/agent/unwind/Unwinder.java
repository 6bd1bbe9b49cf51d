package org.fleettap.agent.unwind;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.perf.X86Reg;

/**
 * Walks an x86-64 user stack from sampled registers and a copy of the stack (PERF_SAMPLE_STACK_USER), using each
 * module's CFI, or the rbp chain where a module has none. Reads memory only from the copy, never the process.
 * Stateless apart from the module lookup: one instance may serve all threads.
 */
public final class Unwinder {
    /** Depth used when the caller names none. */
    public static final int DEFAULT_MAX_DEPTH = 128;
    /** Largest depth accepted. */
    public static final int MAX_DEPTH = 4096;

    private final ModuleLookup modules;
    private final int maxDepth;

    /** An unwinder resolving addresses through {@code modules}, returning at most {@code maxDepth} frames. */
    public Unwinder(ModuleLookup modules, int maxDepth) {
        this.modules = Objects.requireNonNull(modules, "modules");
        if (maxDepth < 1 || maxDepth > MAX_DEPTH) {
            throw new IllegalArgumentException("maxDepth " + maxDepth + " is not in 1.." + MAX_DEPTH);
        }
        this.maxDepth = maxDepth;
    }

    public Unwinder(ModuleLookup modules) {
        this(modules, DEFAULT_MAX_DEPTH);
    }

    /**
     * Unwinds from {@code regs} (ip and sp required; bp, rbx, r12–r15 used when present) over {@code stack}, the
     * bytes from position to limit being the memory at the sampled sp upwards.
     */
    public UnwindResult unwind(UserRegisters regs, ByteBuffer stack) {
        List<Long> frames = new ArrayList<>();
        if (!regs.has(X86Reg.IP) || !regs.has(X86Reg.SP)) {
            return new UnwindResult(frames, StopReason.UNKNOWN_REGISTER, "the sample has no ip or sp");
        }
        Frame frame = Frame.of(regs);
        StackCopy copy = new StackCopy(regs.get(X86Reg.SP), stack);
        frames.add(frame.pc());
        boolean exactPc = true;
        while (true) {
            if (frames.size() >= maxDepth) {
                return new UnwindResult(frames, StopReason.MAX_DEPTH, "stopped at " + maxDepth + " frames");
            }
            Step step;
            try {
                step = step(frame, exactPc, copy);
            } catch (UnwindException e) {
                return new UnwindResult(frames, e.reason(), e.getMessage());
            }
            if (step == null) {
                return new UnwindResult(frames, StopReason.END_OF_STACK, "");
            }
            Frame caller = step.caller();
            boolean looping = step.signalFrame()
                    ? caller.sp() == frame.sp() && caller.pc() == frame.pc()
                    : Long.compareUnsigned(caller.sp(), frame.sp()) <= 0;
            if (looping) {
                return new UnwindResult(frames, StopReason.CFA_NOT_ADVANCING, String.format(
                        "the caller's sp 0x%x is not above sp 0x%x at pc 0x%x", caller.sp(), frame.sp(),
                        frame.pc()));
            }
            frames.add(caller.pc());
            exactPc = step.signalFrame();
            frame = caller;
        }
    }

    /** One frame outwards, or null at the outermost frame. */
    private Step step(Frame frame, boolean exactPc, StackCopy copy) throws UnwindException {
        long lookupPc = exactPc ? frame.pc() : frame.pc() - 1;
        Optional<Module> module = modules.find(lookupPc);
        if (module.isEmpty()) {
            throw new UnwindException(StopReason.UNKNOWN_MODULE,
                    String.format("pc 0x%x is in no known module", frame.pc()));
        }
        Module m = module.get();
        Optional<UnwindRow> row;
        try {
            row = m.cfi().row(lookupPc - m.bias());
        } catch (DwarfFormatException e) {
            throw new UnwindException(StopReason.BAD_UNWIND_INFO, m.name() + ": " + e.getMessage(), e);
        }
        if (row.isEmpty()) {
            return framePointerStep(frame, m, copy);
        }
        return cfiStep(frame, row.get(), m, copy);
    }

    private Step cfiStep(Frame frame, UnwindRow row, Module m, StackCopy copy) throws UnwindException {
        Machine machine = new Machine(frame, copy);
        CfaRule rule = row.cfa().orElseThrow(() -> new UnwindException(StopReason.BAD_UNWIND_INFO,
                String.format("%s: no CFA rule at pc 0x%x", m.name(), frame.pc())));
        long cfa;
        if (rule instanceof CfaRule.RegisterOffset ro) {
            cfa = machine.register(ro.register()) + ro.offset();
        } else {
            cfa = ((CfaRule.Expression) rule).expression().evaluate(machine);
        }
        int raColumn = row.returnAddressRegister();
        RegisterRule raRule = row.rule(raColumn).orElse(new RegisterRule.Undefined());
        if (raRule instanceof RegisterRule.Undefined) {
            return null;
        }
        long ra = recover(raRule, raColumn, cfa, machine, true);
        if (ra == 0) {
            return null;
        }
        long[] values = new long[X86DwarfRegs.COUNT];
        boolean[] known = new boolean[X86DwarfRegs.COUNT];
        for (int reg = 0; reg < X86DwarfRegs.RA; reg++) {
            Optional<RegisterRule> r = row.rule(reg);
            if (r.isEmpty()) {
                if (reg == X86DwarfRegs.RSP) {
                    values[reg] = cfa;
                    known[reg] = true;
                } else if (X86DwarfRegs.isCalleeSaved(reg) && frame.known(reg)) {
                    values[reg] = frame.value(reg);
                    known[reg] = true;
                }
                continue;
            }
            try {
                values[reg] = recover(r.get(), reg, cfa, machine, false);
                known[reg] = !(r.get() instanceof RegisterRule.Undefined);
            } catch (UnwindException e) {
                if (reg == X86DwarfRegs.RSP) {
                    throw e;
                }
                known[reg] = false; // a callee-saved register we cannot recover: unknown, not fatal
            }
        }
        values[X86DwarfRegs.RA] = ra;
        known[X86DwarfRegs.RA] = true;
        return new Step(new Frame(values, known), row.signalFrame());
    }

    private long recover(RegisterRule rule, int reg, long cfa, Machine machine, boolean required)
            throws UnwindException {
        if (rule instanceof RegisterRule.Offset o) {
            return machine.read(cfa + o.offset(), 8);
        } else if (rule instanceof RegisterRule.ValOffset v) {
            return cfa + v.offset();
        } else if (rule instanceof RegisterRule.InRegister r) {
            return machine.register(r.register());
        } else if (rule instanceof RegisterRule.SameValue) {
            return machine.register(reg);
        } else if (rule instanceof RegisterRule.Expression e) {
            return machine.read(e.expression().evaluate(machine, cfa), 8);
        } else if (rule instanceof RegisterRule.ValExpression e) {
            return e.expression().evaluate(machine, cfa);
        }
        if (required) {
            throw new UnwindException(StopReason.BAD_UNWIND_INFO, "no rule for " + X86DwarfRegs.name(reg));
        }
        return 0;
    }

    /**
     * The rbp chain: [rbp] is the caller's rbp, [rbp+8] the return address, the caller's sp is rbp+16; rbp = 0
     * ends it. Only callee-saved registers survive.
     */
    private Step framePointerStep(Frame frame, Module m, StackCopy copy) throws UnwindException {
        if (!frame.known(X86DwarfRegs.RBP)) {
            throw new UnwindException(StopReason.NO_UNWIND_INFO, String.format(
                    "%s: no CFI for pc 0x%x and no frame pointer", m.name(), frame.pc()));
        }
        long bp = frame.value(X86DwarfRegs.RBP);
        if (bp == 0) {
            return null; // _start clears rbp: the end of the chain
        }
        if (!copy.holds(bp, 16) || Long.compareUnsigned(bp, frame.sp()) < 0) {
            throw new UnwindException(StopReason.NO_UNWIND_INFO, String.format(
                    "%s: no CFI for pc 0x%x and rbp 0x%x is not a frame in the stack copy", m.name(), frame.pc(),
                    bp));
        }
        long ra = copy.read(bp + 8, 8);
        if (ra == 0) {
            return null;
        }
        long[] values = new long[X86DwarfRegs.COUNT];
        boolean[] known = new boolean[X86DwarfRegs.COUNT];
        for (int reg = 0; reg < X86DwarfRegs.COUNT; reg++) {
            if (X86DwarfRegs.isCalleeSaved(reg) && frame.known(reg)) {
                values[reg] = frame.value(reg);
                known[reg] = true;
            }
        }
        values[X86DwarfRegs.RBP] = copy.read(bp, 8);
        values[X86DwarfRegs.RSP] = bp + 16;
        values[X86DwarfRegs.RA] = ra;
        known[X86DwarfRegs.RBP] = true;
        known[X86DwarfRegs.RSP] = true;
        known[X86DwarfRegs.RA] = true;
        return new Step(new Frame(values, known), false);
    }

    /** The registers of one frame, by DWARF number; RA (16) holds the frame's pc. */
    private record Frame(long[] values, boolean[] known) {
        static Frame of(UserRegisters regs) {
            long[] values = new long[X86DwarfRegs.COUNT];
            boolean[] known = new boolean[X86DwarfRegs.COUNT];
            for (int reg = 0; reg < X86DwarfRegs.COUNT; reg++) {
                int perf = X86DwarfRegs.toPerf(reg);
                if (regs.has(perf)) {
                    values[reg] = regs.get(perf);
                    known[reg] = true;
                }
            }
            return new Frame(values, known);
        }

        long pc() {
            return values[X86DwarfRegs.RA];
        }

        long sp() {
            return values[X86DwarfRegs.RSP];
        }

        boolean known(int reg) {
            return reg >= 0 && reg < X86DwarfRegs.COUNT && known[reg];
        }

        long value(int reg) {
            return values[reg];
        }
    }

    private record Step(Frame caller, boolean signalFrame) {
    }

    /** Registers of the frame being unwound and the stack copy, for rules and expressions. */
    private record Machine(Frame frame, StackCopy copy) implements DwarfExpression.Machine {
        @Override
        public long register(int reg) throws UnwindException {
            if (!frame.known(reg)) {
                throw new UnwindException(StopReason.UNKNOWN_REGISTER, String.format(
                        "%s is not known at pc 0x%x", X86DwarfRegs.name(reg), frame.pc()));
            }
            return frame.value(reg);
        }

        @Override
        public long read(long address, int size) throws UnwindException {
            return copy.read(address, size);
        }
    }

    /** The stack bytes copied at sample time, starting at the sampled sp. */
    private static final class StackCopy {
        private final long base;
        private final ByteBuffer bytes;

        StackCopy(long base, ByteBuffer stack) {
            this.base = base;
            this.bytes = stack.slice().order(ByteOrder.LITTLE_ENDIAN);
        }

        boolean holds(long address, int size) {
            long off = address - base;
            return Long.compareUnsigned(address, base) >= 0 && off >= 0 && off <= bytes.limit() - size;
        }

        long read(long address, int size) throws UnwindException {
            if (!holds(address, size)) {
                throw new UnwindException(StopReason.OUTSIDE_STACK_COPY, String.format(
                        "reading 0x%x: outside the stack copy 0x%x-0x%x", address, base, base + bytes.limit()));
            }
            int off = (int) (address - base);
            return switch (size) {
                case 1 -> bytes.get(off) & 0xffL;
                case 2 -> bytes.getShort(off) & 0xffffL;
                case 4 -> bytes.getInt(off) & 0xffffffffL;
                default -> bytes.getLong(off);
            };
        }
    }
}
