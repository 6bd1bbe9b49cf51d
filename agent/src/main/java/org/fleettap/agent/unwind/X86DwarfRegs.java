package org.fleettap.agent.unwind;

import org.fleettap.agent.perf.X86Reg;

/** The x86-64 DWARF register numbering (System V psABI) and its mapping to perf's numbering. */
final class X86DwarfRegs {
    static final int RAX = 0;
    static final int RDX = 1;
    static final int RCX = 2;
    static final int RBX = 3;
    static final int RSI = 4;
    static final int RDI = 5;
    static final int RBP = 6;
    static final int RSP = 7;
    static final int R8 = 8;
    static final int R12 = 12;
    static final int R15 = 15;
    /** The return address column (the caller's rip). */
    static final int RA = 16;
    /** Registers 0..16 are the general-purpose ones the unwinder tracks. */
    static final int COUNT = 17;

    private static final int[] TO_PERF = {
        X86Reg.AX, X86Reg.DX, X86Reg.CX, X86Reg.BX, X86Reg.SI, X86Reg.DI, X86Reg.BP, X86Reg.SP,
        X86Reg.R8, X86Reg.R9, X86Reg.R10, X86Reg.R11, X86Reg.R12, X86Reg.R13, X86Reg.R14, X86Reg.R15,
        X86Reg.IP,
    };

    private static final String[] NAMES = {
        "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
    };

    private X86DwarfRegs() {
    }

    /** The perf register number of DWARF register {@code dwarf} (0..16). */
    static int toPerf(int dwarf) {
        return TO_PERF[dwarf];
    }

    /** Whether the psABI makes {@code dwarf} callee-saved (rbx, rbp, r12–r15). */
    static boolean isCalleeSaved(int dwarf) {
        return dwarf == RBX || dwarf == RBP || (dwarf >= R12 && dwarf <= R15);
    }

    /** A register's name for messages ("rbx", "r12", or "reg33" beyond the general-purpose ones). */
    static String name(int dwarf) {
        return dwarf >= 0 && dwarf < COUNT ? NAMES[dwarf] : "reg" + dwarf;
    }

    /** The DWARF number of a register name as readelf prints it ("rbx", "r12"); -1 if not a tracked one. */
    static int byName(String name) {
        for (int i = 0; i < COUNT; i++) {
            if (NAMES[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }
}
