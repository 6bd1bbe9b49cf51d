package org.fleettap.agent.transport;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The layout of a spool segment file, and the scanner that finds the intact records in one.
 *
 * <pre>
 * segment := header record*
 * header  := magic:u32 = 0x46545350 ("FTSP")  version:u32 = 1
 * record  := length:u32  payloadCrc:u32  headerCrc:u32  payload:byte[length]
 * </pre>
 *
 * All integers are big-endian. {@code payload} is a serialized {@code fleettap.v1.Batch}; {@code
 * payloadCrc} is the CRC32C of the payload and {@code headerCrc} the CRC32C of the eight bytes before
 * it, so a damaged length is detected before it is trusted. A record whose header checks out but
 * whose payload does not is skipped by its length; after a damaged header the scanner looks for the
 * next position where a whole record checks out. A record cut short by the end of the file (a crash
 * in the middle of a write), or a tail of zero bytes, is a truncated tail.
 */
final class SpoolFormat {
    static final int MAGIC = 0x46545350;
    static final int VERSION = 1;
    static final int SEGMENT_HEADER_BYTES = 8;
    static final int RECORD_HEADER_BYTES = 12;
    /** Larger than any batch the agent makes (gRPC's 4 MiB message limit); a larger length is damage. */
    static final int MAX_PAYLOAD_BYTES = 64 << 20;

    private SpoolFormat() {}

    static ByteBuffer segmentHeader() {
        ByteBuffer b = ByteBuffer.allocate(SEGMENT_HEADER_BYTES);
        b.putInt(MAGIC).putInt(VERSION).flip();
        return b;
    }

    /** One record around {@code payload}, ready to write. */
    static ByteBuffer record(byte[] payload) {
        if (payload.length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException(
                    "spool record of " + payload.length + " bytes exceeds " + MAX_PAYLOAD_BYTES);
        }
        ByteBuffer b = ByteBuffer.allocate(RECORD_HEADER_BYTES + payload.length);
        b.putInt(payload.length).putInt(crc(payload, 0, payload.length));
        b.putInt(crc(b.array(), 0, 8));
        b.put(payload).flip();
        return b;
    }

    /** How a segment's header reads. */
    enum Header {
        /** An empty file: created, nothing written yet. */
        EMPTY,
        /** Shorter than a header: a crash while it was being written. */
        SHORT,
        /** Not a spool segment of this version. */
        BAD,
        OK
    }

    /** An intact record: where it starts in the segment and how long its payload is. */
    record Frame(int offset, int length) {
        int payloadOffset() {
            return offset + RECORD_HEADER_BYTES;
        }

        int end() {
            return offset + RECORD_HEADER_BYTES + length;
        }
    }

    /**
     * What a scan found: the intact records in order, the damaged regions ({@code corrupt}: each
     * run of bytes between intact records that is not one counts once), among them the records
     * whose header checked out and whose payload did not ({@code damaged}: where the batch was, so
     * that its identity may still be read), and whether the segment ends in a truncated record.
     */
    record Scan(Header header, List<Frame> frames, int corrupt, int truncated, List<Frame> damaged) {}

    static Header header(ByteBuffer segment) {
        int size = segment.limit();
        if (size == 0) {
            return Header.EMPTY;
        }
        if (size < SEGMENT_HEADER_BYTES) {
            return Header.SHORT;
        }
        if (segment.getInt(0) != MAGIC || segment.getInt(4) != VERSION) {
            return Header.BAD;
        }
        return Header.OK;
    }

    /** Scans a whole segment, from its header on; {@code segment}'s position is ignored, its limit is the end. */
    static Scan scan(ByteBuffer segment) {
        Header header = header(segment);
        if (header != Header.OK) {
            return new Scan(header, List.of(), 0, header == Header.SHORT ? 1 : 0, List.of());
        }
        List<Frame> frames = new ArrayList<>();
        List<Frame> damaged = new ArrayList<>();
        int corrupt = 0;
        int truncated = 0;
        int limit = segment.limit();
        int pos = SEGMENT_HEADER_BYTES;
        while (pos < limit) {
            if (limit - pos < RECORD_HEADER_BYTES) {
                truncated++;
                break;
            }
            if (headerIntact(segment, pos)) {
                int length = segment.getInt(pos);
                if (pos + RECORD_HEADER_BYTES + (long) length > limit) {
                    truncated++;
                    break;
                }
                Frame frame = new Frame(pos, length);
                if (payloadIntact(segment, frame)) {
                    frames.add(frame);
                } else {
                    corrupt++;
                    damaged.add(frame);
                }
                pos = frame.end();
                continue;
            }
            if (zeroFrom(segment, pos)) {
                truncated++;
                break;
            }
            corrupt++;
            pos = resync(segment, pos + 1);
        }
        return new Scan(header, frames, corrupt, truncated, damaged);
    }

    /** Whether the record at {@code frame} in {@code segment} (header and payload) checks out. */
    static boolean intact(ByteBuffer segment, Frame frame) {
        return frame.end() <= segment.limit()
                && headerIntact(segment, frame.offset())
                && segment.getInt(frame.offset()) == frame.length()
                && payloadIntact(segment, frame);
    }

    private static boolean headerIntact(ByteBuffer b, int pos) {
        int length = b.getInt(pos);
        return length >= 0 && length <= MAX_PAYLOAD_BYTES && crc(b, pos, 8) == b.getInt(pos + 8);
    }

    private static boolean payloadIntact(ByteBuffer b, Frame f) {
        return crc(b, f.payloadOffset(), f.length()) == b.getInt(f.offset() + 4);
    }

    /** The first position at or after {@code from} where a whole intact record starts, else the limit. */
    private static int resync(ByteBuffer b, int from) {
        int limit = b.limit();
        for (int p = from; p + RECORD_HEADER_BYTES <= limit; p++) {
            if (headerIntact(b, p)) {
                int length = b.getInt(p);
                if (p + RECORD_HEADER_BYTES + (long) length <= limit && payloadIntact(b, new Frame(p, length))) {
                    return p;
                }
            }
        }
        return limit;
    }

    private static boolean zeroFrom(ByteBuffer b, int pos) {
        for (int p = pos; p < b.limit(); p++) {
            if (b.get(p) != 0) {
                return false;
            }
        }
        return true;
    }

    static int crc(byte[] bytes, int offset, int length) {
        CRC32C c = new CRC32C();
        c.update(bytes, offset, length);
        return (int) c.getValue();
    }

    private static int crc(ByteBuffer b, int offset, int length) {
        CRC32C c = new CRC32C();
        c.update(b.slice(offset, length));
        return (int) c.getValue();
    }
}
