package org.fleettap.agent.elf;

import java.util.ArrayList;
import java.util.List;

/** One ELF note (owner name, type, and where its descriptor lies in the file), read from a note section or segment. */
record Note(String owner, long type, long descOffset, long descSize, int ordinal, String where) {
    static final long NT_GNU_BUILD_ID = 3;
    static final long NT_STAPSDT = 3;
    private static final int HEADER_SIZE = 12;

    /**
     * The notes in {@code size} bytes at {@code offset} (already checked to lie in the file); {@code align} is the
     * section's or segment's alignment (8 means 8-byte padding, anything else 4); {@code where} names the region.
     */
    static List<Note> readAll(ElfBytes bytes, long offset, long size, long align, String where)
            throws ElfFormatException {
        long pad = align == 8 ? 8 : 4;
        List<Note> notes = new ArrayList<>();
        long p = 0;
        while (size - p >= HEADER_SIZE) {
            long nameSize = bytes.u32(offset + p);
            long descSize = bytes.u32(offset + p + 4);
            long type = bytes.u32(offset + p + 8);
            long nameStart = p + HEADER_SIZE;
            long descStart = roundUp(nameStart + nameSize, pad);
            long next = roundUp(descStart + descSize, pad);
            int ordinal = notes.size() + 1;
            if (descStart + descSize > size) {
                throw new ElfFormatException(String.format(
                        "note #%d in %s: name size %d and descriptor size %d extend past its end (size 0x%x)",
                        ordinal, where, nameSize, descSize, size));
            }
            notes.add(new Note(owner(bytes, offset + nameStart, nameSize), type, offset + descStart, descSize,
                    ordinal, where));
            p = next;
        }
        return notes;
    }

    /** Whether this is a note of {@code owner} with {@code type}. */
    boolean is(String name, long noteType) {
        return owner.equals(name) && type == noteType;
    }

    private static String owner(ElfBytes bytes, long offset, long size) {
        StringBuilder sb = new StringBuilder();
        for (long i = 0; i < size; i++) {
            int c = bytes.u8(offset + i);
            if (c == 0) {
                break;
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    private static long roundUp(long value, long pad) {
        return (value + pad - 1) & -pad;
    }
}
