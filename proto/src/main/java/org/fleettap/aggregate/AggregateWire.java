package org.fleettap.aggregate;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;

/**
 * The fields of one {@code fleettap.v1.Aggregate} message as read from its bytes, before they are
 * checked: what {@link MergeableAggregate#parse} reads straight off the wire so that the collector
 * builds no {@code Aggregate}, {@code QuantileSketch} and {@code HdrBuckets} messages (their
 * builders were most of the collector's parsing time) only to copy them into an aggregate.
 *
 * <p>Follows protobuf's rules: fields in any order, unknown fields skipped, the last value of a
 * scalar field wins, repeated numbers packed or not, and a message field that occurs twice is
 * merged (its repeated fields concatenated).
 */
final class AggregateWire {
    // Field tags of aggregate.proto: (number << 3) | wire type.
    private static final int COUNT = tag(1, WireFormat.WIRETYPE_VARINT);
    private static final int SUM = tag(2, WireFormat.WIRETYPE_VARINT);
    private static final int MIN = tag(3, WireFormat.WIRETYPE_VARINT);
    private static final int MAX = tag(4, WireFormat.WIRETYPE_VARINT);
    private static final int LOG2_FIRST = tag(5, WireFormat.WIRETYPE_VARINT);
    private static final int LOG2_COUNT = tag(6, WireFormat.WIRETYPE_VARINT);
    private static final int LOG2_COUNTS_PACKED = tag(6, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    private static final int QUANTILES = tag(7, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    private static final int DIGITS = tag(1, WireFormat.WIRETYPE_VARINT);
    private static final int NON_NEGATIVE = tag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    private static final int NEGATIVE = tag(3, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    private static final int DELTA = tag(1, WireFormat.WIRETYPE_VARINT);
    private static final int DELTAS_PACKED = tag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    private static final int BUCKET_COUNT = tag(2, WireFormat.WIRETYPE_VARINT);
    private static final int BUCKET_COUNTS_PACKED = tag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED);

    private static final long[] NONE = new long[0];

    /**
     * A list of longs: a packed list (the usual encoding) is counted first and read into an array
     * of its exact size, which the aggregate then keeps; unpacked values grow it.
     */
    static final class Longs {
        long[] values = NONE;
        int size;

        void add(long v) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, Math.max(8, size * 2));
            }
            values[size++] = v;
        }

        /**
         * Reads a packed list. Its numbers are read by a reader that ends where the list ends, so a last number
         * whose bytes all have the continuation bit (not counted by {@link WireReader#countVarints}) is refused as
         * truncated instead of being read on into the next field, past the room counted for it.
         */
        void addPacked(WireReader in) throws InvalidProtocolBufferException {
            int n = in.length();
            WireReader list = new WireReader(in.bytes(), in.position(), n);
            in.skipBytes(n);
            int count = list.countVarints(n);
            if (size + count > values.length) {
                values = java.util.Arrays.copyOf(values, size + count);
            }
            for (int i = 0; i < count; i++) {
                values[size++] = list.varint();
            }
            if (list.position() != in.position()) {
                throw new InvalidProtocolBufferException("a packed list's last number runs past its end");
            }
        }

        /** The values in an array of exactly {@link #size} (this list's own when it fits). */
        long[] toArray() {
            return size == values.length ? values : java.util.Arrays.copyOf(values, size);
        }
    }

    /** One {@code HdrBuckets}: whether it occurred, and its two lists. */
    static final class Buckets {
        boolean present;
        final Longs deltas = new Longs();
        final Longs counts = new Longs();
    }

    long count;
    long sum;
    boolean hasMin;
    long min;
    boolean hasMax;
    long max;
    int log2First;
    final Longs log2Counts = new Longs();
    boolean hasQuantiles;
    int digits;
    final Buckets nonNegative = new Buckets();
    final Buckets negative = new Buckets();

    private AggregateWire() {}

    private static int tag(int field, int wireType) {
        return (field << 3) | wireType;
    }

    /** Reads the message {@code bytes[offset, offset + length)}. */
    static AggregateWire read(byte[] bytes, int offset, int length) throws InvalidProtocolBufferException {
        AggregateWire w = new AggregateWire();
        w.readAggregate(new WireReader(bytes, offset, length));
        return w;
    }

    private void readAggregate(WireReader in) throws InvalidProtocolBufferException {
        for (int tag = in.tag(); tag != 0; tag = in.tag()) {
            if (tag == COUNT) {
                count = in.varint();
            } else if (tag == SUM) {
                sum = decodeZigZag(in.varint());
            } else if (tag == MIN) {
                min = decodeZigZag(in.varint());
                hasMin = true;
            } else if (tag == MAX) {
                max = decodeZigZag(in.varint());
                hasMax = true;
            } else if (tag == LOG2_FIRST) {
                log2First = (int) decodeZigZag(in.varint() & 0xFFFFFFFFL);
            } else if (tag == LOG2_COUNT) {
                log2Counts.add(in.varint());
            } else if (tag == LOG2_COUNTS_PACKED) {
                log2Counts.addPacked(in);
            } else if (tag == QUANTILES) {
                hasQuantiles = true;
                int n = in.length();
                readSketch(new WireReader(in.bytes(), in.position(), n));
                in.skipBytes(n);
            } else {
                in.skip(tag);
            }
        }
    }

    private void readSketch(WireReader in) throws InvalidProtocolBufferException {
        for (int tag = in.tag(); tag != 0; tag = in.tag()) {
            if (tag == DIGITS) {
                digits = (int) in.varint();
            } else if (tag == NON_NEGATIVE) {
                readBuckets(in, nonNegative);
            } else if (tag == NEGATIVE) {
                readBuckets(in, negative);
            } else {
                in.skip(tag);
            }
        }
    }

    private static void readBuckets(WireReader outer, Buckets b) throws InvalidProtocolBufferException {
        b.present = true;
        int n = outer.length();
        WireReader in = new WireReader(outer.bytes(), outer.position(), n);
        outer.skipBytes(n);
        for (int tag = in.tag(); tag != 0; tag = in.tag()) {
            if (tag == DELTA) {
                b.deltas.add(in.varint());
            } else if (tag == DELTAS_PACKED) {
                b.deltas.addPacked(in);
            } else if (tag == BUCKET_COUNT) {
                b.counts.add(in.varint());
            } else if (tag == BUCKET_COUNTS_PACKED) {
                b.counts.addPacked(in);
            } else {
                in.skip(tag);
            }
        }
    }

    private static long decodeZigZag(long n) {
        return (n >>> 1) ^ -(n & 1);
    }
}
