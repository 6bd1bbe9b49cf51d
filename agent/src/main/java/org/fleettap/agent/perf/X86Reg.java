package org.fleettap.agent.perf;

import java.util.Locale;

/** The x86-64 perf register numbering (enum perf_event_x86_regs), used in {@code sample_regs_user} masks. */
public final class X86Reg {
    public static final int AX = 0;
    public static final int BX = 1;
    public static final int CX = 2;
    public static final int DX = 3;
    public static final int SI = 4;
    public static final int DI = 5;
    public static final int BP = 6;
    public static final int SP = 7;
    public static final int IP = 8;
    public static final int FLAGS = 9;
    public static final int CS = 10;
    public static final int SS = 11;
    public static final int DS = 12;
    public static final int ES = 13;
    public static final int FS = 14;
    public static final int GS = 15;
    public static final int R8 = 16;
    public static final int R9 = 17;
    public static final int R10 = 18;
    public static final int R11 = 19;
    public static final int R12 = 20;
    public static final int R13 = 21;
    public static final int R14 = 22;
    public static final int R15 = 23;

    /** Number of general-purpose registers (PERF_REG_X86_64_MAX). */
    public static final int COUNT = 24;

    private static final String[] NAMES = {
        "ax", "bx", "cx", "dx", "si", "di", "bp", "sp", "ip", "flags", "cs", "ss", "ds", "es", "fs", "gs",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    };

    private X86Reg() {}

    /** Lower-case name of a register ("di", "r8"), as in the kernel's perf_reg_name. */
    public static String name(int reg) {
        if (reg < 0 || reg >= COUNT) {
            throw new IllegalArgumentException("no x86-64 perf register " + reg);
        }
        return NAMES[reg];
    }

    /** Register number of a name, case-insensitive, with or without a leading 'r'/'e' for the legacy ones; -1 if none. */
    public static int byName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (int i = 0; i < COUNT; i++) {
            if (NAMES[i].equals(n)) {
                return i;
            }
        }
        if (n.length() == 3 && (n.charAt(0) == 'r' || n.charAt(0) == 'e')) {
            return byName(n.substring(1));
        }
        return -1;
    }

    /** The sample_regs_user mask selecting the given registers. */
    public static long mask(int... regs) {
        long m = 0;
        for (int r : regs) {
            if (r < 0 || r >= COUNT) {
                throw new IllegalArgumentException("no x86-64 perf register " + r);
            }
            m |= 1L << r;
        }
        return m;
    }
}
