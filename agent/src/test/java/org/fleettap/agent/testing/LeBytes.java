package org.fleettap.agent.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Builds binary test inputs byte by byte: little-endian integers, LEB128 and C strings, fluently. Subclasses add
 * the framing of their format (DWARF line programs, CFI entries) and keep the fluent type ({@code T}).
 */
public abstract class LeBytes<T extends LeBytes<T>> {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @SuppressWarnings("unchecked")
    private T self() {
        return (T) this;
    }

    public T u8(int... values) {
        for (int v : values) {
            out.write(v);
        }
        return self();
    }

    public T u16(int v) {
        return u8(v & 0xff, (v >>> 8) & 0xff);
    }

    public T u32(long v) {
        return u16((int) (v & 0xffff)).u16((int) ((v >>> 16) & 0xffff));
    }

    public T u64(long v) {
        return u32(v & 0xffffffffL).u32(v >>> 32);
    }

    public T uleb(long v) {
        do {
            int b = (int) (v & 0x7f);
            v >>>= 7;
            out.write(v != 0 ? b | 0x80 : b);
        } while (v != 0);
        return self();
    }

    public T sleb(long v) {
        while (true) {
            int b = (int) (v & 0x7f);
            v >>= 7;
            boolean done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
            out.write(done ? b : b | 0x80);
            if (done) {
                return self();
            }
        }
    }

    /** A NUL-terminated UTF-8 string. */
    public T cstring(String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        return u8(0);
    }

    public T bytes(byte[] b) {
        out.writeBytes(b);
        return self();
    }

    public int size() {
        return out.size();
    }

    public byte[] toArray() {
        return out.toByteArray();
    }

    public ByteBuffer buffer() {
        return ByteBuffer.wrap(toArray()).order(ByteOrder.LITTLE_ENDIAN);
    }
}
