package org.fleettap.collector.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fleettap.proto.v1.KeyPart;

/**
 * An order-preserving binary encoding of key components: the unsigned lexicographic order of the
 * encoded bytes (RocksDB's default comparator) is the logical order of the component tuples.
 *
 * <ul>
 *   <li><b>long</b>: 8 bytes big-endian with the sign bit flipped, so negative values sort first.
 *   <li><b>int</b>: 4 bytes likewise.
 *   <li><b>byte</b>: one unsigned byte.
 *   <li><b>string</b>: its UTF-8 bytes with every {@code 0x00} escaped as {@code 0x00 0xFF}, then the
 *       terminator {@code 0x00 0x01}. UTF-8 byte order is code point order; the terminator sorts
 *       below every continuation (any byte {@code >= 0x01}, or an escaped {@code 0x00 0xFF}), so a
 *       string sorts before every longer string it is a prefix of, and a complete string is never
 *       a byte prefix of another encoded string.
 *   <li><b>key tuple</b> ({@link KeyPart}s, a stap map index): each part as tag {@code 0x01} and a
 *       long, or tag {@code 0x02} and a string; then {@code 0x00}. So tuples sort part by part,
 *       integer parts before string parts, and a tuple before the longer tuples it begins.
 * </ul>
 *
 * Strings must be valid UTF-16 (no unpaired surrogates, as every string parsed from a protobuf
 * message is); an unpaired surrogate would be encoded as {@code ?}.
 */
final class OrderedKey {
    static final int TAG_END = 0x00;
    static final int TAG_INT = 0x01;
    static final int TAG_STRING = 0x02;

    private OrderedKey() {}

    /**
     * The smallest byte string greater than every byte string that begins with {@code prefix}: the
     * exclusive upper bound of a prefix scan.
     *
     * @throws IllegalArgumentException if {@code prefix} is all {@code 0xFF} (no such bound)
     */
    static byte[] prefixEnd(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xFF) {
                byte[] end = Arrays.copyOf(prefix, i + 1);
                end[i]++;
                return end;
            }
        }
        throw new IllegalArgumentException("a prefix of only 0xFF bytes has no upper bound");
    }

    /** True if {@code key} begins with {@code prefix}. */
    static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length
                && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** Appends components to a growing byte array. */
    static final class Writer {
        private byte[] buf;
        private int len;

        Writer() {
            this(64);
        }

        Writer(int capacity) {
            buf = new byte[capacity];
        }

        /** A writer that starts with a copy of {@code prefix} (an encoded key prefix). */
        static Writer startingWith(byte[] prefix) {
            Writer w = new Writer(prefix.length + 32);
            System.arraycopy(prefix, 0, w.buf, 0, prefix.length);
            w.len = prefix.length;
            return w;
        }

        Writer putByte(int b) {
            ensure(1);
            buf[len++] = (byte) b;
            return this;
        }

        Writer putLong(long v) {
            ensure(8);
            long u = v ^ Long.MIN_VALUE;
            for (int shift = 56; shift >= 0; shift -= 8) {
                buf[len++] = (byte) (u >>> shift);
            }
            return this;
        }

        Writer putInt(int v) {
            ensure(4);
            int u = v ^ Integer.MIN_VALUE;
            for (int shift = 24; shift >= 0; shift -= 8) {
                buf[len++] = (byte) (u >>> shift);
            }
            return this;
        }

        Writer putString(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            return putUtf8(utf8, 0, utf8.length);
        }

        /** A string given as its UTF-8 bytes {@code utf8[from, from + length)}. */
        Writer putUtf8(byte[] utf8, int from, int length) {
            ensure(2 * length + 2);
            for (int i = from; i < from + length; i++) {
                byte b = utf8[i];
                if (b == 0) {
                    buf[len++] = 0x00;
                    buf[len++] = (byte) 0xFF;
                } else {
                    buf[len++] = b;
                }
            }
            buf[len++] = 0x00;
            buf[len++] = 0x01;
            return this;
        }

        /** Appends bytes already in this encoding (a component or several, copied from a key). */
        Writer putEncoded(byte[] encoded, int from, int to) {
            ensure(to - from);
            System.arraycopy(encoded, from, buf, len, to - from);
            len += to - from;
            return this;
        }

        Writer putKey(List<KeyPart> parts) {
            for (KeyPart part : parts) {
                switch (part.getValueCase()) {
                    case INT_VALUE -> putByte(TAG_INT).putLong(part.getIntValue());
                    case STRING_VALUE -> putByte(TAG_STRING).putString(part.getStringValue());
                    default -> throw new IllegalArgumentException("key part without a value");
                }
            }
            return putByte(TAG_END);
        }

        int length() {
            return len;
        }

        /** Forgets everything after the first {@code length} bytes. */
        Writer truncate(int length) {
            if (length < 0 || length > len) {
                throw new IllegalArgumentException("cannot truncate " + len + " bytes to " + length);
            }
            len = length;
            return this;
        }

        byte[] toBytes() {
            return Arrays.copyOf(buf, len);
        }

        /** What was written, without a copy when the writer was made exactly as large: then it is shared. */
        byte[] array() {
            return len == buf.length ? buf : toBytes();
        }

        private void ensure(int more) {
            if (len + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
            }
        }
    }

    /** Reads components back, in the order they were written. */
    static final class Reader {
        private final byte[] buf;
        private int pos;

        Reader(byte[] buf) {
            this(buf, 0);
        }

        Reader(byte[] buf, int pos) {
            this.buf = buf;
            this.pos = pos;
        }

        int position() {
            return pos;
        }

        boolean atEnd() {
            return pos == buf.length;
        }

        int getByte() {
            need(1);
            return buf[pos++] & 0xFF;
        }

        long getLong() {
            need(8);
            long u = 0;
            for (int i = 0; i < 8; i++) {
                u = (u << 8) | (buf[pos++] & 0xFF);
            }
            return u ^ Long.MIN_VALUE;
        }

        int getInt() {
            need(4);
            int u = 0;
            for (int i = 0; i < 4; i++) {
                u = (u << 8) | (buf[pos++] & 0xFF);
            }
            return u ^ Integer.MIN_VALUE;
        }

        String getString() {
            byte[] out = new byte[Math.max(0, buf.length - pos)];
            int n = 0;
            while (true) {
                need(1);
                byte b = buf[pos++];
                if (b != 0) {
                    out[n++] = b;
                    continue;
                }
                need(1);
                int next = buf[pos++] & 0xFF;
                if (next == 0x01) {
                    return new String(out, 0, n, StandardCharsets.UTF_8);
                }
                if (next != 0xFF) {
                    throw new IllegalArgumentException(
                            "bad string escape 0x00 0x" + Integer.toHexString(next) + " at byte " + (pos - 1));
                }
                out[n++] = 0;
            }
        }

        /** Skips a string without decoding it. */
        void skipString() {
            while (true) {
                need(1);
                if (buf[pos++] != 0) {
                    continue;
                }
                need(1);
                if (buf[pos++] == 0x01) {
                    return;
                }
            }
        }

        List<KeyPart> getKey() {
            List<KeyPart> parts = new ArrayList<>(2);
            while (true) {
                int tag = getByte();
                switch (tag) {
                    case TAG_END -> {
                        return parts;
                    }
                    case TAG_INT -> parts.add(KeyPart.newBuilder().setIntValue(getLong()).build());
                    case TAG_STRING -> parts.add(KeyPart.newBuilder().setStringValue(getString()).build());
                    default -> throw new IllegalArgumentException(
                            "bad key part tag 0x" + Integer.toHexString(tag) + " at byte " + (pos - 1));
                }
            }
        }

        /** Skips a key tuple without decoding it. */
        void skipKey() {
            while (true) {
                int tag = getByte();
                switch (tag) {
                    case TAG_END -> {
                        return;
                    }
                    case TAG_INT -> {
                        need(8);
                        pos += 8;
                    }
                    case TAG_STRING -> skipString();
                    default -> throw new IllegalArgumentException(
                            "bad key part tag 0x" + Integer.toHexString(tag) + " at byte " + (pos - 1));
                }
            }
        }

        private void need(int n) {
            if (pos + n > buf.length) {
                throw new IllegalArgumentException("key ends at byte " + buf.length + ", expected " + n + " more");
            }
        }
    }
}
