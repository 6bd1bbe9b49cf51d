package org.fleettap.agent.unwind;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds CFI sections byte by byte for tests: a little-endian writer with LEB128 and entry framing. */
final class CfiBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    CfiBytes u8(int... values) {
        for (int v : values) {
            out.write(v);
        }
        return this;
    }

    CfiBytes u16(int v) {
        return u8(v & 0xff, (v >>> 8) & 0xff);
    }

    CfiBytes u32(long v) {
        return u16((int) (v & 0xffff)).u16((int) ((v >>> 16) & 0xffff));
    }

    CfiBytes u64(long v) {
        return u32(v & 0xffffffffL).u32(v >>> 32);
    }

    CfiBytes uleb(long v) {
        do {
            int b = (int) (v & 0x7f);
            v >>>= 7;
            out.write(v != 0 ? b | 0x80 : b);
        } while (v != 0);
        return this;
    }

    CfiBytes sleb(long v) {
        while (true) {
            int b = (int) (v & 0x7f);
            v >>= 7;
            boolean done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
            out.write(done ? b : b | 0x80);
            if (done) {
                return this;
            }
        }
    }

    CfiBytes cstring(String s) {
        for (char c : s.toCharArray()) {
            out.write(c);
        }
        out.write(0);
        return this;
    }

    CfiBytes bytes(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    /** Appends a 32-bit-length entry whose body (after the length) is {@code body}, padded to 8 bytes. */
    CfiBytes entry(CfiBytes body) {
        byte[] b = body.toArray();
        int pad = (8 - ((4 + b.length) & 7)) & 7;
        u32(b.length + pad);
        bytes(b);
        for (int i = 0; i < pad; i++) {
            out.write(0); // DW_CFA_nop
        }
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] toArray() {
        return out.toByteArray();
    }

    ByteBuffer buffer() {
        return ByteBuffer.wrap(toArray()).order(ByteOrder.LITTLE_ENDIAN);
    }
}
