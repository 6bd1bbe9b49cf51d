package org.fleettap.agent.tracefs;

import java.util.Objects;

/**
 * Where a uprobe event fetch argument reads its value (the FETCHARG of {@code name=FETCHARG:TYPE}), rendered in
 * the syntax of the kernel's uprobe_events file.
 */
public sealed interface FetchLocation {

    /** The kernel's syntax, e.g. {@code %di}, {@code +8(%si)}. */
    String render();

    /** Whether {@code $retval} occurs in this location (allowed on return probes only). */
    default boolean usesRetval() {
        return false;
    }

    /** Whether the value is read from user memory ({@code @ADDR}, {@code @+OFFSET}, {@code +OFFS(...)}). */
    default boolean isMemory() {
        return this instanceof Memory || this instanceof FileOffset || this instanceof Deref;
    }

    /** {@code %REG}: a register at the probe point. */
    static FetchLocation register(String name) {
        return new Register(name);
    }

    /** {@code @ADDR}: memory at a user-space address. */
    static FetchLocation memory(long address) {
        return new Memory(address);
    }

    /** {@code @+OFFSET}: memory at a file offset of the probed binary (e.g. a global variable). */
    static FetchLocation fileOffset(long offset) {
        return new FileOffset(offset);
    }

    /** {@code $stack}: the stack pointer. */
    static FetchLocation stack() {
        return new Stack();
    }

    /** {@code $stackN}: the Nth word on the stack. */
    static FetchLocation stackEntry(int index) {
        return new StackEntry(index);
    }

    /** {@code $retval}: the return value (return probes only). */
    static FetchLocation retval() {
        return new Retval();
    }

    /** {@code $comm}: the current task's name (string type only). */
    static FetchLocation comm() {
        return new Comm();
    }

    /** {@code +OFFS(BASE)} / {@code -OFFS(BASE)}: memory at the address {@code base} yields, plus offset. */
    static FetchLocation deref(long offset, FetchLocation base) {
        return new Deref(offset, base);
    }

    /**
     * Parses the kernel's syntax: {@code %REG}, {@code @ADDR}, {@code @+OFFSET}, {@code $stack}, {@code $stackN},
     * {@code $retval}, {@code $comm}, {@code +|-[u]OFFS(FETCHARG)}; numbers in decimal or 0x-hex.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static FetchLocation parse(String text) {
        Objects.requireNonNull(text, "text");
        try {
            return parseUnchecked(text);
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("invalid fetch location '" + text + "'", e);
        }
    }

    private static FetchLocation parseUnchecked(String text) {
        if (text.startsWith("%")) {
            return register(text.substring(1));
        }
        if (text.startsWith("@+")) {
            return fileOffset(parseNumber(text.substring(2)));
        }
        if (text.startsWith("@")) {
            return memory(parseNumber(text.substring(1)));
        }
        switch (text) {
            case "$stack":
                return stack();
            case "$retval":
                return retval();
            case "$comm":
                return comm();
            default:
                break;
        }
        if (text.startsWith("$stack") && text.length() > 6 && text.substring(6).chars().allMatch(Character::isDigit)) {
            return stackEntry(Integer.parseInt(text.substring(6)));
        }
        if ((text.startsWith("+") || text.startsWith("-")) && text.endsWith(")")) {
            int open = text.indexOf('(');
            if (open < 0) {
                throw new IllegalArgumentException("invalid fetch location '" + text + "': no '('");
            }
            String offs = text.substring(1, open);
            if (offs.startsWith("u")) {
                offs = offs.substring(1); // "user" memory: the only kind uprobes read
            }
            long magnitude = parseNumber(offs);
            return deref(text.charAt(0) == '-' ? -magnitude : magnitude,
                    parseUnchecked(text.substring(open + 1, text.length() - 1)));
        }
        throw new IllegalArgumentException("invalid fetch location '" + text
                + "' (expected %REG, @ADDR, @+OFFSET, $stack, $stackN, $retval, $comm or +|-OFFS(FETCHARG))");
    }

    private static long parseNumber(String s) {
        if (s.startsWith("0x") || s.startsWith("0X")) {
            return Long.parseUnsignedLong(s.substring(2), 16);
        }
        if (s.isEmpty() || !s.chars().allMatch(Character::isDigit)) {
            throw new NumberFormatException("not a number: '" + s + "'");
        }
        return Long.parseLong(s);
    }

    /** {@code %REG}. */
    record Register(String name) implements FetchLocation {
        public Register {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty() || !name.chars().allMatch(c -> c == '_' || Character.isLetterOrDigit(c))) {
                throw new IllegalArgumentException("invalid register name '" + name + "'");
            }
        }

        @Override
        public String render() {
            return "%" + name;
        }
    }

    /** {@code @ADDR}. */
    record Memory(long address) implements FetchLocation {
        @Override
        public String render() {
            return "@0x" + Long.toHexString(address);
        }
    }

    /** {@code @+OFFSET}. */
    record FileOffset(long offset) implements FetchLocation {
        public FileOffset {
            if (offset < 0) {
                throw new IllegalArgumentException("negative file offset " + offset);
            }
        }

        @Override
        public String render() {
            return "@+0x" + Long.toHexString(offset);
        }
    }

    /** {@code $stack}. */
    record Stack() implements FetchLocation {
        @Override
        public String render() {
            return "$stack";
        }
    }

    /** {@code $stackN}. */
    record StackEntry(int index) implements FetchLocation {
        public StackEntry {
            if (index < 0) {
                throw new IllegalArgumentException("negative stack index " + index);
            }
        }

        @Override
        public String render() {
            return "$stack" + index;
        }
    }

    /** {@code $retval}. */
    record Retval() implements FetchLocation {
        @Override
        public String render() {
            return "$retval";
        }

        @Override
        public boolean usesRetval() {
            return true;
        }
    }

    /** {@code $comm}. */
    record Comm() implements FetchLocation {
        @Override
        public String render() {
            return "$comm";
        }
    }

    /** {@code +|-OFFS(BASE)}. */
    record Deref(long offset, FetchLocation base) implements FetchLocation {
        public Deref {
            Objects.requireNonNull(base, "base");
            if (offset == Long.MIN_VALUE) {
                throw new IllegalArgumentException("dereference offset out of range");
            }
            if (base instanceof Comm) {
                throw new IllegalArgumentException("$comm is a string, not an address to dereference");
            }
        }

        @Override
        public String render() {
            return (offset < 0 ? "-" : "+") + Math.abs(offset) + "(" + base.render() + ")";
        }

        @Override
        public boolean usesRetval() {
            return base.usesRetval();
        }
    }
}
