package org.fleettap.aggregate;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Protobuf's wire format over {@code bytes[from, from + length)}, read field by field: the reader
 * under {@link MergeableAggregate#parse} and the collector's batch decoder, which read messages
 * straight into their own structures instead of through generated messages and builders (those
 * were most of the collector's CPU). It works on an array, so a caller can take a field's bytes
 * as a slice of it, and count a packed list's numbers before it reads them.
 *
 * <p>Errors are protobuf's: {@link InvalidProtocolBufferException} for truncated input, malformed
 * varints, tag 0, a stray end-group tag, and strings that are not UTF-8.
 */
public final class WireReader {
    private final byte[] bytes;
    private int pos;
    private final int limit;

    public WireReader(byte[] bytes, int from, int length) {
        java.util.Objects.checkFromIndexSize(from, length, bytes.length);
        this.bytes = bytes;
        this.pos = from;
        this.limit = from + length;
    }

    /** The array read (not a copy). */
    public byte[] bytes() {
        return bytes;
    }

    /** Offset of the next byte to read in {@link #bytes}. */
    public int position() {
        return pos;
    }

    /** The next field's tag, 0 at the end. */
    public int tag() throws InvalidProtocolBufferException {
        if (pos == limit) {
            return 0;
        }
        int tag = (int) varint();
        if ((tag >>> 3) == 0) {
            throw new InvalidProtocolBufferException("Protocol message contained an invalid tag (zero).");
        }
        return tag;
    }

    public long varint() throws InvalidProtocolBufferException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= limit) {
                throw truncated();
            }
            byte b = bytes[pos++];
            v |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return v;
            }
        }
        throw new InvalidProtocolBufferException("CodedInputStream encountered a malformed varint.");
    }

    /** A length-delimited field's length, checked against what is left. */
    public int length() throws InvalidProtocolBufferException {
        int n = (int) varint();
        if (n < 0) {
            throw new InvalidProtocolBufferException("CodedInputStream encountered an embedded string or message"
                    + " which claimed to have negative size.");
        }
        if (n > limit - pos) {
            throw truncated();
        }
        return n;
    }

    /** How many varints the next {@code n} bytes hold (a packed list's length): the bytes that end one. */
    public int countVarints(int n) {
        int count = 0;
        for (int i = pos; i < pos + n; i++) {
            if (bytes[i] >= 0) {
                count++;
            }
        }
        return count;
    }

    public void skipBytes(int n) throws InvalidProtocolBufferException {
        if (n < 0 || n > limit - pos) {
            throw truncated();
        }
        pos += n;
    }

    /** A length-delimited UTF-8 string. */
    public String string() throws InvalidProtocolBufferException {
        return string(length());
    }

    /** The UTF-8 string of the next {@code n} bytes. */
    public String string(int n) throws InvalidProtocolBufferException {
        requireUtf8(pos, n);
        String s = new String(bytes, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    /** Checks that {@code bytes[from, from + n)} is UTF-8, as protobuf requires of strings. */
    public void requireUtf8(int from, int n) throws InvalidProtocolBufferException {
        for (int i = from; i < from + n; i++) {
            if (bytes[i] < 0) {
                try {
                    StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes, from, n));
                    return;
                } catch (CharacterCodingException e) {
                    throw new InvalidProtocolBufferException("Protocol message had invalid UTF-8.");
                }
            }
        }
    }

    /** Skips a field of an unknown number. */
    public void skip(int tag) throws InvalidProtocolBufferException {
        switch (tag & 7) {
            case 0 -> varint();
            case 1 -> skipBytes(8);
            case 2 -> skipBytes(length());
            case 3 -> {
                int end = (tag & ~7) | 4;
                for (int t = tag(); t != end; t = tag()) {
                    if (t == 0) {
                        throw truncated();
                    }
                    skip(t);
                }
            }
            case 5 -> skipBytes(4);
            default -> throw new InvalidProtocolBufferException(
                    "Protocol message end-group tag did not match expected tag.");
        }
    }

    private static InvalidProtocolBufferException truncated() {
        return new InvalidProtocolBufferException("While parsing a protocol message, the input ended unexpectedly"
                + " in the middle of a field.  This could mean either that the input has been truncated or that an"
                + " embedded message misreported its own length.");
    }
}
