package org.fleettap.aggregate;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.Arrays;

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

    /** A growable list of longs. */
    static final class Longs {
        long[] values = new long[8];
        int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
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
        CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
        try {
            w.readAggregate(in);
        } catch (InvalidProtocolBufferException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidProtocolBufferException(e);
        }
        return w;
    }

    private void readAggregate(CodedInputStream in) throws IOException {
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag == COUNT) {
                count = in.readUInt64();
            } else if (tag == SUM) {
                sum = in.readSInt64();
            } else if (tag == MIN) {
                min = in.readSInt64();
                hasMin = true;
            } else if (tag == MAX) {
                max = in.readSInt64();
                hasMax = true;
            } else if (tag == LOG2_FIRST) {
                log2First = in.readSInt32();
            } else if (tag == LOG2_COUNT) {
                log2Counts.add(in.readUInt64());
            } else if (tag == LOG2_COUNTS_PACKED) {
                readPacked(in, log2Counts);
            } else if (tag == QUANTILES) {
                hasQuantiles = true;
                int limit = in.pushLimit(in.readRawVarint32());
                readSketch(in);
                in.popLimit(limit);
            } else {
                skip(in, tag);
            }
        }
    }

    private void readSketch(CodedInputStream in) throws IOException {
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag == DIGITS) {
                digits = in.readUInt32();
            } else if (tag == NON_NEGATIVE) {
                readBuckets(in, nonNegative);
            } else if (tag == NEGATIVE) {
                readBuckets(in, negative);
            } else {
                skip(in, tag);
            }
        }
    }

    private static void readBuckets(CodedInputStream in, Buckets b) throws IOException {
        b.present = true;
        int limit = in.pushLimit(in.readRawVarint32());
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag == DELTA) {
                b.deltas.add(in.readUInt64());
            } else if (tag == DELTAS_PACKED) {
                readPacked(in, b.deltas);
            } else if (tag == BUCKET_COUNT) {
                b.counts.add(in.readUInt64());
            } else if (tag == BUCKET_COUNTS_PACKED) {
                readPacked(in, b.counts);
            } else {
                skip(in, tag);
            }
        }
        in.popLimit(limit);
    }

    private static void readPacked(CodedInputStream in, Longs into) throws IOException {
        int limit = in.pushLimit(in.readRawVarint32());
        while (in.getBytesUntilLimit() > 0) {
            into.add(in.readUInt64());
        }
        in.popLimit(limit);
    }

    /** Skips an unknown field; an end-group tag where no group was opened is malformed. */
    static void skip(CodedInputStream in, int tag) throws IOException {
        if (!in.skipField(tag)) {
            throw new InvalidProtocolBufferException("Protocol message end-group tag did not match expected tag.");
        }
    }
}
