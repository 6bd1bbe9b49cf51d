package org.fleettap.agent.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Bounds-checked little-endian reads from the whole file's bytes; every failure is an {@link ElfFormatException}. */
final class ElfBytes {
    private final ByteBuffer buffer;

    ElfBytes(ByteBuffer bytes) {
        this.buffer = bytes.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The file size in bytes. */
    long size() {
        return buffer.capacity();
    }

    /** Whether {@code length} bytes at {@code offset} (both unsigned 64-bit) lie inside the file. */
    boolean contains(long offset, long length) {
        return offset >= 0 && length >= 0 && offset <= size() && length <= size() - offset;
    }

    /** Fails with "truncated: {what} at 0x.. extends past end of file" unless the range lies inside the file. */
    void require(long offset, long length, String what) throws ElfFormatException {
        if (!contains(offset, length)) {
            throw new ElfFormatException(String.format(
                    "truncated: %s at 0x%x (0x%x bytes) extends past end of file (size %d)",
                    what, offset, length, size()));
        }
    }

    int u8(long offset) {
        return buffer.get(Math.toIntExact(offset)) & 0xff;
    }

    int u16(long offset) {
        return buffer.getShort(Math.toIntExact(offset)) & 0xffff;
    }

    /** An unsigned 32-bit value widened to long. */
    long u32(long offset) {
        return buffer.getInt(Math.toIntExact(offset)) & 0xffff_ffffL;
    }

    /** A 32-bit value as Java int (bit pattern kept). */
    int i32(long offset) {
        return buffer.getInt(Math.toIntExact(offset));
    }

    /** A 64-bit value (unsigned in the file; values of 2^63 and above come out negative). */
    long u64(long offset) {
        return buffer.getLong(Math.toIntExact(offset));
    }

    /** A read-only little-endian view of a range that {@link #require} has checked. */
    ByteBuffer slice(long offset, long length) {
        return buffer.slice(Math.toIntExact(offset), Math.toIntExact(length)).order(ByteOrder.LITTLE_ENDIAN);
    }
}
