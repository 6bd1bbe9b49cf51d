package org.fleettap.agent.elf;

import java.nio.charset.StandardCharsets;

/**
 * A string table section (NUL-terminated names addressed by offset). The total length of the names decoded from one
 * table is capped at a multiple of its size, so a corrupted table whose entries all point into one long string
 * cannot make the reader allocate without bound.
 */
final class StringTable {
    private static final long BUDGET_FACTOR = 16;
    private static final long BUDGET_BASE = 16L << 20;

    private final ElfBytes bytes;
    private final String name;
    private final long offset;
    private final long size;
    private long budget;

    StringTable(ElfBytes bytes, String name, long offset, long size) {
        this.bytes = bytes;
        this.name = name;
        this.offset = offset;
        this.size = size;
        this.budget = BUDGET_BASE + BUDGET_FACTOR * size;
    }

    /** The string at {@code index}; {@code what} names its user in error messages. */
    String at(long index, String what) throws ElfFormatException {
        long length = end(index, what) - (offset + index);
        budget -= length;
        if (budget < 0) {
            throw new ElfFormatException(String.format("%s: names decoded from %s exceed %d times its size",
                    what, name, BUDGET_FACTOR));
        }
        if (length == 0) {
            return "";
        }
        byte[] raw = new byte[(int) length];
        bytes.slice(offset + index, length).get(raw);
        return new String(raw, StandardCharsets.UTF_8);
    }

    /** The index just past the NUL that ends the string at {@code index}. */
    long after(long index, String what) throws ElfFormatException {
        return end(index, what) - offset + 1;
    }

    /** The file offset of the NUL ending the string at {@code index}. */
    private long end(long index, String what) throws ElfFormatException {
        if (index < 0 || index >= size) {
            throw new ElfFormatException(String.format("%s: name offset 0x%x is outside %s (size 0x%x)",
                    what, index, name, size));
        }
        long start = offset + index;
        long end = offset + size;
        long p = start;
        while (p < end && bytes.u8(p) != 0) {
            p++;
        }
        if (p == end) {
            throw new ElfFormatException(String.format("%s: name at offset 0x%x of %s is not NUL-terminated",
                    what, index, name));
        }
        return p;
    }
}
