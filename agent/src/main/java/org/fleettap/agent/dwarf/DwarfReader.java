package org.fleettap.agent.dwarf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked little-endian cursor over one DWARF section (or a slice of one): fixed-size integers, LEB128,
 * C strings, initial lengths and 32/64-bit DWARF offsets. Every read past the end is a {@link DwarfFormatException}
 * naming the section and offset; nothing here allocates in proportion to a length read from the input.
 */
public final class DwarfReader {
    /** Longest C string accepted (names, paths); longer ones are corrupt input. */
    static final int MAX_STRING = 1 << 16;

    private final String section;
    private final ByteBuffer buf;
    private final int base;
    private boolean dwarf64;

    /** A reader over all of {@code bytes} (position 0 .. limit), named {@code section} in errors. */
    public DwarfReader(String section, ByteBuffer bytes) {
        this(section, bytes.slice().order(ByteOrder.LITTLE_ENDIAN), 0);
    }

    private DwarfReader(String section, ByteBuffer buf, int base) {
        this.section = section;
        this.buf = buf;
        this.base = base;
    }

    public String section() {
        return section;
    }

    /** The offset in the section of the next byte. */
    public int position() {
        return base + buf.position();
    }

    /** Moves to section offset {@code offset} (within this reader's range). */
    public DwarfReader seek(long offset) throws DwarfFormatException {
        long rel = offset - base;
        if (rel < 0 || rel > buf.limit()) {
            throw error(offset, "offset 0x" + Long.toHexString(offset) + " is outside the section (size 0x"
                    + Integer.toHexString(base + buf.limit()) + ")");
        }
        buf.position((int) rel);
        return this;
    }

    public int remaining() {
        return buf.remaining();
    }

    public boolean hasRemaining() {
        return buf.hasRemaining();
    }

    /** The section offset just past this reader's range. */
    public int end() {
        return base + buf.limit();
    }

    /** Whether offsets read by {@link #offset()} are 8 bytes (set by {@link #initialLength()}). */
    public boolean isDwarf64() {
        return dwarf64;
    }

    public void setDwarf64(boolean dwarf64) {
        this.dwarf64 = dwarf64;
    }

    /** A reader over the next {@code length} bytes (same section offsets); this reader skips them. */
    public DwarfReader slice(long length) throws DwarfFormatException {
        need(length);
        int start = buf.position();
        ByteBuffer s = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        s.position(start).limit(start + (int) length);
        DwarfReader r = new DwarfReader(section, s.slice().order(ByteOrder.LITTLE_ENDIAN), base + start);
        r.dwarf64 = dwarf64;
        buf.position(start + (int) length);
        return r;
    }

    /** A reader over the same bytes, positioned at section offset {@code offset}. */
    public DwarfReader at(long offset) throws DwarfFormatException {
        DwarfReader r = new DwarfReader(section, buf.duplicate().order(ByteOrder.LITTLE_ENDIAN), base);
        r.dwarf64 = dwarf64;
        return r.seek(offset);
    }

    public int u8() throws DwarfFormatException {
        need(1);
        return buf.get() & 0xff;
    }

    public int u16() throws DwarfFormatException {
        need(2);
        return buf.getShort() & 0xffff;
    }

    /** Three-byte unsigned (DW_FORM_strx3, addrx3). */
    public int u24() throws DwarfFormatException {
        need(3);
        int lo = buf.getShort() & 0xffff;
        return lo | ((buf.get() & 0xff) << 16);
    }

    public long u32() throws DwarfFormatException {
        need(4);
        return buf.getInt() & 0xffffffffL;
    }

    public long u64() throws DwarfFormatException {
        need(8);
        return buf.getLong();
    }

    public int s8() throws DwarfFormatException {
        need(1);
        return buf.get();
    }

    public int s16() throws DwarfFormatException {
        need(2);
        return buf.getShort();
    }

    public int s32() throws DwarfFormatException {
        need(4);
        return buf.getInt();
    }

    /** An unsigned integer of {@code size} bytes (1, 2, 4 or 8). */
    public long unsigned(int size) throws DwarfFormatException {
        switch (size) {
            case 1: return u8();
            case 2: return u16();
            case 4: return u32();
            case 8: return u64();
            default: throw error(position(), "unsupported integer size " + size);
        }
    }

    /** ULEB128; more than 64 significant bits is corrupt input. */
    public long uleb() throws DwarfFormatException {
        long result = 0;
        int shift = 0;
        int start = position();
        while (true) {
            int b = u8();
            if (shift < 64) {
                result |= (long) (b & 0x7f) << shift;
            } else if ((b & 0x7f) != 0) {
                throw error(start, "ULEB128 wider than 64 bits");
            }
            shift += 7;
            if ((b & 0x80) == 0) {
                return result;
            }
            if (shift > 70) {
                throw error(start, "ULEB128 longer than 10 bytes");
            }
        }
    }

    /** SLEB128. */
    public long sleb() throws DwarfFormatException {
        long result = 0;
        int shift = 0;
        int b;
        int start = position();
        do {
            b = u8();
            if (shift < 64) {
                result |= (long) (b & 0x7f) << shift;
            }
            shift += 7;
            if (shift > 70) {
                throw error(start, "SLEB128 longer than 10 bytes");
            }
        } while ((b & 0x80) != 0);
        if (shift < 64 && (b & 0x40) != 0) {
            result |= -1L << shift;
        }
        return result;
    }

    /** A NUL-terminated UTF-8 string. */
    public String cstring() throws DwarfFormatException {
        int start = buf.position();
        int limit = Math.min(buf.limit(), start + MAX_STRING);
        for (int i = start; i < limit; i++) {
            if (buf.get(i) == 0) {
                byte[] bytes = new byte[i - start];
                buf.get(bytes);
                buf.get();
                return new String(bytes, StandardCharsets.UTF_8);
            }
        }
        throw error(base + start, limit == buf.limit() ? "unterminated string" : "string longer than " + MAX_STRING);
    }

    /**
     * A unit's initial length: 32-bit, or 0xffffffff followed by a 64-bit length (then offsets are 8 bytes, which
     * this reader remembers). Returns the length.
     */
    public long initialLength() throws DwarfFormatException {
        long len = u32();
        if (len == 0xffffffffL) {
            dwarf64 = true;
            return u64();
        }
        if (len >= 0xfffffff0L) {
            throw error(position() - 4, "reserved initial length 0x" + Long.toHexString(len));
        }
        dwarf64 = false;
        return len;
    }

    /** A section offset: 4 bytes, or 8 in 64-bit DWARF. */
    public long offset() throws DwarfFormatException {
        return dwarf64 ? u64() : u32();
    }

    public void skip(long n) throws DwarfFormatException {
        need(n);
        buf.position(buf.position() + (int) n);
    }

    /** An error at section offset {@code at}: "SECTION+0xOFF: problem". */
    public DwarfFormatException error(long at, String problem) {
        return new DwarfFormatException(section + "+0x" + Long.toHexString(at) + ": " + problem);
    }

    private void need(long n) throws DwarfFormatException {
        if (n < 0 || n > buf.remaining()) {
            throw error(position(), "truncated: need " + n + " bytes, " + buf.remaining() + " left");
        }
    }
}
