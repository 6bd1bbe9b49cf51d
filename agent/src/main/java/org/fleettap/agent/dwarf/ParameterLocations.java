package org.fleettap.agent.dwarf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The SysV x86-64 calling convention at a function's entry point: which integer register (rdi, rsi, rdx, rcx,
 * r8, r9) or stack slot holds each formal parameter, classifying every parameter (INTEGER, SSE, X87, MEMORY,
 * aggregates by eightbyte) so later parameters get the right registers, and where {@code $return} is.
 */
public final class ParameterLocations {
    static final List<String> INTEGER_REGISTERS = List.of("rdi", "rsi", "rdx", "rcx", "r8", "r9");
    static final int SSE_REGISTERS = 8;

    /** Classes of one eightbyte (psABI 3.2.3). */
    enum AbiClass {
        NO_CLASS, INTEGER, SSE, SSEUP, X87, X87UP, COMPLEX_X87, MEMORY
    }

    private ParameterLocations() {
    }

    /** Every formal parameter of {@code f} with its place at entry, in declaration order. */
    public static List<EntryArgument> atEntry(DebugInfo info, Function f) throws DwarfFormatException {
        String fn = f.qualifiedName().isEmpty() ? "0x" + Long.toHexString(f.entryPc()) : f.qualifiedName();
        int nextInt = returnsInMemory(info.returnType(f)) ? 1 : 0; // the hidden result pointer takes rdi
        int nextSse = 0;
        long stack = 0; // offset from the stack pointer at the call instruction
        List<EntryArgument> out = new ArrayList<>();
        for (Parameter p : info.parameters(f)) {
            DwarfType type = p.type();
            String typeName = type.printableName();
            String prefix = "parameter '" + (p.name().isEmpty() ? "#" + (out.size() + 1) : p.name()) + "' of " + fn
                    + " is " + typeName + ", which the ABI passes ";
            DwarfType r = type.resolved();
            if (r.isPassedByReference()) {
                if (nextInt < INTEGER_REGISTERS.size()) {
                    out.add(EntryArgument.unreadable(p, prefix + "by invisible reference (its address in "
                            + INTEGER_REGISTERS.get(nextInt++) + "): not readable at entry"));
                } else {
                    stack += 8;
                    out.add(EntryArgument.unreadable(p, prefix + "by invisible reference (its address on the "
                            + "stack): not readable at entry"));
                }
                continue;
            }
            long size = r.byteSize().orElse(-1);
            if (size < 0 && r.kind() != DwarfType.Kind.VOID) {
                out.add(EntryArgument.unreadable(p, "parameter '" + p.name() + "' of " + fn + " has type "
                        + typeName + " of unknown size: not readable at entry"));
                continue;
            }
            AbiClass[] classes = classify(r, size);
            boolean aggregate = isAggregate(r);
            if (classes[0] == AbiClass.MEMORY) {
                long align = alignment(r, 0);
                stack = roundUp(stack, Math.max(8, align));
                stack += roundUp(size, 8);
                String how = isX87(classes) ? "on the stack (x87 type)" : aggregate ? "by value on the stack"
                        : "on the stack";
                out.add(EntryArgument.unreadable(p, prefix + how + ": not readable at entry"));
                continue;
            }
            int ints = count(classes, AbiClass.INTEGER);
            int sses = count(classes, AbiClass.SSE);
            if (nextInt + ints > INTEGER_REGISTERS.size() || nextSse + sses > SSE_REGISTERS) {
                // No room for all eightbytes: the whole argument goes on the stack, registers stay free.
                long align = Math.max(8, alignment(r, 0));
                stack = roundUp(stack, align);
                long at = stack;
                stack += roundUp(Math.max(size, 1), 8);
                if (!aggregate && ints == 1 && sses == 0) {
                    out.add(EntryArgument.onStack(p, 8 + at));
                } else {
                    out.add(EntryArgument.unreadable(p, prefix + describe(aggregate, classes, null)
                            + ": not readable at entry"));
                }
                continue;
            }
            List<String> regs = INTEGER_REGISTERS.subList(nextInt, nextInt + ints);
            nextInt += ints;
            nextSse += sses;
            if (!aggregate && ints == 1 && sses == 0) {
                out.add(EntryArgument.inRegister(p, regs.get(0)));
            } else if (ints == 0 && sses == 0) {
                out.add(EntryArgument.unreadable(p, prefix + "in no register (an empty type): not readable at "
                        + "entry"));
            } else {
                out.add(EntryArgument.unreadable(p, prefix + describe(aggregate, classes, regs)
                        + ": not readable at entry"));
            }
        }
        return List.copyOf(out);
    }

    /** The entry place of the parameter called {@code name}, if {@code f} has one. */
    public static Optional<EntryArgument> atEntry(DebugInfo info, Function f, String name)
            throws DwarfFormatException {
        for (EntryArgument a : atEntry(info, f)) {
            if (a.name().equals(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** Where {@code $return} of {@code f} is at its return: rax for INTEGER-class scalars. */
    public static ReturnValue returnValue(DebugInfo info, Function f) throws DwarfFormatException {
        DwarfType type = info.returnType(f);
        String fn = f.qualifiedName();
        if (type.isVoid()) {
            return new ReturnValue(type, "", fn + " returns void: there is no $return");
        }
        DwarfType r = type.resolved();
        String prefix = fn + " returns " + type.printableName() + ", which the ABI returns ";
        long size = r.byteSize().orElse(-1);
        if (r.isPassedByReference() || size < 0) {
            return new ReturnValue(type, "", prefix + "in memory: not readable as $return");
        }
        AbiClass[] classes = classify(r, size);
        boolean aggregate = isAggregate(r);
        if (classes[0] == AbiClass.MEMORY) {
            return new ReturnValue(type, "", prefix + (isX87(classes) ? "in st0 (x87)" : "in memory")
                    + ": not readable as $return");
        }
        int ints = count(classes, AbiClass.INTEGER);
        int sses = count(classes, AbiClass.SSE);
        if (!aggregate && ints == 1 && sses == 0) {
            return new ReturnValue(type, "rax", "");
        }
        List<String> regs = List.of("rax", "rdx").subList(0, Math.min(ints, 2));
        String where = ints == 0 ? "in xmm0" + (sses > 1 ? " and xmm1" : "")
                : "in " + String.join(" and ", regs) + (sses > 0 ? " and xmm0" : "");
        return new ReturnValue(type, "", prefix + (aggregate ? "by value " : "") + where
                + ": not readable as $return");
    }

    private static String describe(boolean aggregate, AbiClass[] classes, List<String> regs) {
        int ints = count(classes, AbiClass.INTEGER);
        int sses = count(classes, AbiClass.SSE) + count(classes, AbiClass.SSEUP);
        String where;
        if (regs == null) {
            where = "on the stack";
        } else if (ints == 0) {
            where = sses == 1 ? "in an SSE register" : "in SSE registers";
        } else if (sses == 0) {
            where = "in " + String.join(" and ", regs);
        } else {
            where = "in " + String.join(" and ", regs) + " and an SSE register";
        }
        return aggregate ? "by value " + where : where;
    }

    private static boolean returnsInMemory(DwarfType t) throws DwarfFormatException {
        if (t.isVoid()) {
            return false;
        }
        DwarfType r = t.resolved();
        if (r.isPassedByReference()) {
            return true;
        }
        long size = r.byteSize().orElse(-1);
        if (size < 0) {
            return false;
        }
        AbiClass[] c = classify(r, size);
        return c[0] == AbiClass.MEMORY && !isX87(c);
    }

    private static boolean isX87(AbiClass[] classes) {
        return classes.length > 0 && classes[0] == AbiClass.MEMORY && classes.length == 3;
    }

    private static boolean isAggregate(DwarfType r) {
        return switch (r.kind()) {
            case STRUCT, CLASS, UNION, ARRAY -> true;
            default -> false;
        };
    }

    private static int count(AbiClass[] classes, AbiClass c) {
        int n = 0;
        for (AbiClass x : classes) {
            if (x == c) {
                n++;
            }
        }
        return n;
    }

    private static long roundUp(long v, long to) {
        return (v + to - 1) / to * to;
    }

    /**
     * The classes of the eightbytes of a value of resolved type {@code r} (size {@code size}); a MEMORY argument
     * is {@code [MEMORY]} (or {@code [MEMORY, X87, X87UP]} for x87 scalars such as long double, so messages can
     * say why).
     */
    static AbiClass[] classify(DwarfType r, long size) throws DwarfFormatException {
        if (!isAggregate(r)) {
            AbiClass[] s = scalar(r, size);
            if (s[0] == AbiClass.X87 || s[0] == AbiClass.COMPLEX_X87) {
                return new AbiClass[] {AbiClass.MEMORY, AbiClass.X87, AbiClass.X87UP};
            }
            return s;
        }
        if (size > 16) {
            return new AbiClass[] {AbiClass.MEMORY};
        }
        if (size == 0) {
            return new AbiClass[] {AbiClass.NO_CLASS};
        }
        AbiClass[] classes = new AbiClass[(int) ((size + 7) / 8)];
        Arrays.fill(classes, AbiClass.NO_CLASS);
        int[] steps = {0};
        if (!fields(r, 0, classes, steps, 0)) {
            return new AbiClass[] {AbiClass.MEMORY};
        }
        for (int i = 0; i < classes.length; i++) {
            AbiClass c = classes[i];
            if (c == AbiClass.MEMORY || c == AbiClass.X87 || c == AbiClass.X87UP || c == AbiClass.COMPLEX_X87) {
                return new AbiClass[] {AbiClass.MEMORY};
            }
            if (c == AbiClass.SSEUP && (i == 0 || (classes[i - 1] != AbiClass.SSE
                    && classes[i - 1] != AbiClass.SSEUP))) {
                classes[i] = AbiClass.SSE;
            }
        }
        return classes;
    }

    /** Merges the classes of the fields of aggregate {@code r} at {@code base}; false if one is unaligned. */
    private static boolean fields(DwarfType r, long base, AbiClass[] classes, int[] steps, int depth)
            throws DwarfFormatException {
        if (++steps[0] > 4096 || depth > DieIndex.MAX_CHAIN) {
            throw new DwarfFormatException("type at 0x" + Long.toHexString(r.dieOffset())
                    + ": too many nested fields to classify (a cycle?)");
        }
        switch (r.kind()) {
            case ARRAY -> {
                DwarfType elem = r.target().resolved();
                long es = elem.byteSize().orElse(0);
                long total = r.byteSize().orElse(0);
                if (es <= 0) {
                    return true;
                }
                for (long off = 0; off < total && base + off < classes.length * 8L; off += es) {
                    if (!field(elem, base + off, es, classes, steps, depth)) {
                        return false;
                    }
                }
                return true;
            }
            case STRUCT, CLASS, UNION -> {
                List<Member> ms = new ArrayList<>(r.baseClasses());
                ms.addAll(r.members());
                for (Member m : ms) {
                    if (m.isBitField()) {
                        int eb = (int) ((base * 8 + m.bitPosition()) / 64);
                        if (eb < classes.length) {
                            classes[eb] = merge(classes[eb], AbiClass.INTEGER);
                        }
                        continue;
                    }
                    DwarfType t = m.type().resolved();
                    long s = t.byteSize().orElse(0);
                    if (!field(t, base + m.offset(), s, classes, steps, depth)) {
                        return false;
                    }
                }
                return true;
            }
            default -> {
                return true;
            }
        }
    }

    private static boolean field(DwarfType t, long at, long size, AbiClass[] classes, int[] steps, int depth)
            throws DwarfFormatException {
        if (isAggregate(t)) {
            if (at % Math.max(1, alignment(t, 0)) != 0) {
                return false;
            }
            return fields(t, at, classes, steps, depth + 1);
        }
        if (size <= 0) {
            return true;
        }
        AbiClass[] s = scalar(t, size);
        long align = Math.min(size, 16);
        if (at % align != 0) {
            return false;
        }
        for (int i = 0; i < s.length; i++) {
            int eb = (int) (at / 8) + i;
            if (eb >= 0 && eb < classes.length) {
                classes[eb] = merge(classes[eb], s[i]);
            }
        }
        return true;
    }

    private static AbiClass merge(AbiClass a, AbiClass b) {
        if (a == b) {
            return a;
        }
        if (a == AbiClass.NO_CLASS) {
            return b;
        }
        if (b == AbiClass.NO_CLASS) {
            return a;
        }
        if (a == AbiClass.MEMORY || b == AbiClass.MEMORY) {
            return AbiClass.MEMORY;
        }
        if (a == AbiClass.INTEGER || b == AbiClass.INTEGER) {
            return AbiClass.INTEGER;
        }
        if (a == AbiClass.X87 || a == AbiClass.X87UP || a == AbiClass.COMPLEX_X87 || b == AbiClass.X87
                || b == AbiClass.X87UP || b == AbiClass.COMPLEX_X87) {
            return AbiClass.MEMORY;
        }
        return AbiClass.SSE;
    }

    /** Eightbyte classes of a non-aggregate resolved type. */
    private static AbiClass[] scalar(DwarfType t, long size) throws DwarfFormatException {
        switch (t.encoding()) {
            case FLOAT -> {
                if (size <= 8) {
                    return new AbiClass[] {AbiClass.SSE};
                }
                return t.name().orElse("").contains("long double")
                        ? new AbiClass[] {AbiClass.X87, AbiClass.X87UP}
                        : new AbiClass[] {AbiClass.SSE, AbiClass.SSEUP};
            }
            case COMPLEX_FLOAT -> {
                if (size <= 8) {
                    return new AbiClass[] {AbiClass.SSE};
                }
                if (size == 16) {
                    return new AbiClass[] {AbiClass.SSE, AbiClass.SSE};
                }
                return new AbiClass[] {AbiClass.COMPLEX_X87};
            }
            default -> {
                if (size > 8) {
                    AbiClass[] c = new AbiClass[(int) Math.min(2, (size + 7) / 8)];
                    Arrays.fill(c, AbiClass.INTEGER);
                    return size > 16 ? new AbiClass[] {AbiClass.MEMORY} : c;
                }
                return new AbiClass[] {AbiClass.INTEGER};
            }
        }
    }

    /** Natural alignment of a resolved type (scalars: their size up to 16; aggregates: largest member's). */
    private static long alignment(DwarfType t, int depth) throws DwarfFormatException {
        if (depth > DieIndex.MAX_CHAIN) {
            throw new DwarfFormatException("type at 0x" + Long.toHexString(t.dieOffset())
                    + ": types nested too deeply to align (a cycle?)");
        }
        switch (t.kind()) {
            case ARRAY -> {
                return alignment(t.target().resolved(), depth + 1);
            }
            case STRUCT, CLASS, UNION -> {
                long a = 1;
                List<Member> ms = new ArrayList<>(t.baseClasses());
                ms.addAll(t.members());
                for (Member m : ms) {
                    a = Math.max(a, m.isBitField() ? 1 : alignment(m.type().resolved(), depth + 1));
                }
                return a;
            }
            default -> {
                long s = t.byteSize().orElse(1);
                if (t.encoding() == DwarfType.Encoding.COMPLEX_FLOAT) {
                    s = s / 2;
                }
                return Math.max(1, Math.min(s, 16));
            }
        }
    }
}
