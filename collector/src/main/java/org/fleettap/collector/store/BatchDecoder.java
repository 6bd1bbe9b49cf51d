package org.fleettap.collector.store;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.fleettap.aggregate.InvalidAggregateException;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.aggregate.WireReader;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.LossCounters;
import org.fleettap.proto.v1.OutputLine;

/**
 * Reads a serialized {@code Batch} straight from its bytes into a {@link WireBatch}: checks it
 * against the wire contract's rules and limits (proto/README.md), so that nothing is written for a
 * batch that is wrong anywhere, decodes each delta's aggregate from its bytes ({@link
 * MergeableAggregate#parse}), encodes each delta's series key ({@link AggregateKeys}) once, and
 * keeps each aggregate's bytes as they came for its 1 s entry.
 *
 * <p>Protobuf's rules hold as in the generated parser: fields in any order, unknown fields skipped,
 * the last value of a scalar field (and of a oneof) wins, a message field that occurs twice is
 * merged, strings must be UTF-8; bytes that break them are not a batch ({@link
 * InvalidProtocolBufferException}).
 */
final class BatchDecoder {
    /** Window starts and ends must lie within ±2^62 ns of 1970 (about ±146 years). */
    static final long MIN_TIME = -(1L << 62);
    static final long MAX_TIME = 1L << 62;
    static final int MAX_HOST_ID_BYTES = 253;
    static final int MAX_KEY_PARTS = 9;
    static final int MAX_KEY_STRING_BYTES = 512;
    static final int MAX_OUTPUT_LINE_BYTES = 64 * 1024;

    // Field tags of ingest.proto and aggregate.proto: (number << 3) | wire type.
    private static final int HOST_ID = 10;
    private static final int SESSION_ID = 18;
    private static final int SEQUENCE = 24;
    private static final int WINDOW_START = 32;
    private static final int WINDOW_END = 40;
    private static final int AGGREGATES = 50;
    private static final int OUTPUT = 58;
    private static final int LOSSES = 66;
    private static final int SPOOL_DROPPED = 72;
    private static final int FINAL_BATCH = 80;
    private static final int DELTA_NAME = 10;
    private static final int DELTA_KEY = 18;
    private static final int DELTA_AGGREGATE = 26;
    private static final int KEY_INT = 8;
    private static final int KEY_STRING = 18;
    private static final int LOSSES_RECORDS = 8;
    private static final int LOSSES_EVENTS = 16;

    private BatchDecoder() {}

    /** The batch's own fields, as read. */
    static final class Fields {
        String hostId = "";
        String sessionId = "";
        long sequence;
        long windowStart;
        long windowEnd;
        long recordsLost;
        long eventsDropped;
        long spoolDroppedBatches;
        boolean finalBatch;
        int serializedSize;
        final List<OutputLine> output = new ArrayList<>(0);
    }

    /** A delta as read, before it is checked. */
    private static final class RawDelta {
        String name;
        /** Its key tuple, encoded, in the batch's scratch buffer. */
        int tupleFrom;
        int tupleTo;
        int parts;
        /** The first key part that breaks a rule, and how ("has no value", or too long); -1 if none. */
        int badPart = -1;
        String badPartProblem;
        MergeableAggregate aggregate;
        String aggregateProblem;
        byte[] value;
    }

    /**
     * Reads {@code bytes}; {@code parsed} is the batch they serialize if the caller has it (then it
     * is the result's {@link WireBatch#batch}).
     */
    static WireBatch decode(byte[] bytes, Batch parsed) throws InvalidProtocolBufferException {
        Fields f = new Fields();
        f.serializedSize = bytes.length;
        List<RawDelta> raw = new ArrayList<>();
        OrderedKey.Writer tuples = new OrderedKey.Writer(256);
        WireReader in = new WireReader(bytes, 0, bytes.length);
        for (int tag = in.tag(); tag != 0; tag = in.tag()) {
            switch (tag) {
                case HOST_ID -> f.hostId = in.string();
                case SESSION_ID -> f.sessionId = in.string();
                case SEQUENCE -> f.sequence = in.varint();
                case WINDOW_START -> f.windowStart = in.varint();
                case WINDOW_END -> f.windowEnd = in.varint();
                case AGGREGATES -> {
                    int n = in.length();
                    raw.add(readDelta(bytes, in.position(), n, tuples, raw.isEmpty() ? null : raw.get(raw.size() - 1)));
                    in.skipBytes(n);
                }
                case OUTPUT -> {
                    int n = in.length();
                    f.output.add(OutputLine.parseFrom(ByteBuffer.wrap(bytes, in.position(), n)));
                    in.skipBytes(n);
                }
                case LOSSES -> {
                    int n = in.length();
                    readLosses(new WireReader(bytes, in.position(), n), f);
                    in.skipBytes(n);
                }
                case SPOOL_DROPPED -> f.spoolDroppedBatches = in.varint();
                case FINAL_BATCH -> f.finalBatch = in.varint() != 0;
                default -> in.skip(tag);
            }
        }
        String rejection = check(f, raw);
        if (rejection != null) {
            return new WireBatch(f, rejection, List.of(), false, 0, 0, parsed != null ? parsed : view(f, raw));
        }
        // Series keys: session, name, key tuple, host; the session and the host encoded once.
        OrderedKey.Writer key = new OrderedKey.Writer(128).putString(f.sessionId);
        int sessionLength = key.length();
        byte[] host = new OrderedKey.Writer().putString(f.hostId).toBytes();
        List<WireBatch.Delta> deltas = new ArrayList<>(raw.size());
        Set<ByteKey> seen = new HashSet<>(raw.size() * 2);
        byte[] scratch = tuples.toBytes();
        for (RawDelta d : raw) {
            if (d.aggregate.isEmpty()) {
                continue;
            }
            byte[] series = key.truncate(sessionLength).putString(d.name).putEncoded(scratch, d.tupleFrom, d.tupleTo)
                    .putEncoded(host, 0, host.length).toBytes();
            ByteKey seriesKey = new ByteKey(series);
            seen.add(seriesKey);
            deltas.add(new WireBatch.Delta(d.name, seriesKey, d.aggregate, d.value));
        }
        return new WireBatch(f, null, deltas, seen.size() < deltas.size(), sessionLength, host.length,
                parsed != null ? parsed : view(f, raw));
    }

    /** The batch for those who follow applied batches: every field but the deltas' keys and aggregates. */
    private static Batch view(Fields f, List<RawDelta> raw) {
        Batch.Builder b = Batch.newBuilder().setHostId(f.hostId).setSessionId(f.sessionId).setSequence(f.sequence)
                .setWindowStartUnixNanos(f.windowStart).setWindowEndUnixNanos(f.windowEnd)
                .setSpoolDroppedBatches(f.spoolDroppedBatches).setFinalBatch(f.finalBatch).addAllOutput(f.output);
        if (f.recordsLost != 0 || f.eventsDropped != 0) {
            b.setLosses(LossCounters.newBuilder().setRecordsLost(f.recordsLost).setEventsDropped(f.eventsDropped));
        }
        AggregateDelta named = null;
        for (RawDelta d : raw) {
            if (named == null || !named.getName().equals(d.name)) {
                named = AggregateDelta.newBuilder().setName(d.name).build();
            }
            b.addAggregates(named);
        }
        return b.build();
    }

    /** The first rule the batch breaks, in one line, or null. */
    private static String check(Fields b, List<RawDelta> deltas) {
        if (b.hostId.isEmpty()) {
            return "batch has no host_id";
        }
        if (utf8Length(b.hostId) > MAX_HOST_ID_BYTES) {
            return "host_id is longer than " + MAX_HOST_ID_BYTES + " bytes";
        }
        if (b.sessionId.isEmpty()) {
            return "batch has no session_id";
        }
        if (b.sequence == 0) {
            return "sequence is 0; batches are numbered from 1";
        }
        if (b.sequence < 0) {
            return "sequence " + Long.toUnsignedString(b.sequence) + " is too large";
        }
        long start = b.windowStart;
        long end = b.windowEnd;
        if (end < start) {
            return "window end " + end + " is before its start " + start;
        }
        if (start < MIN_TIME || end > MAX_TIME) {
            return "window [" + start + ", " + end + ") is out of range (±2^62 ns)";
        }
        String count = checkCount(b.spoolDroppedBatches, "spool_dropped_batches");
        if (count == null) {
            count = checkCount(b.recordsLost, "losses.records_lost");
        }
        if (count == null) {
            count = checkCount(b.eventsDropped, "losses.events_dropped");
        }
        if (count != null) {
            return count;
        }
        for (int i = 0; i < deltas.size(); i++) {
            RawDelta d = deltas.get(i);
            String where = "aggregates[" + i + "] " + d.name;
            if (d.name.isEmpty()) {
                return "aggregates[" + i + "] has no name";
            }
            if (d.parts > MAX_KEY_PARTS) {
                return where + ": key has " + d.parts + " parts, at most " + MAX_KEY_PARTS;
            }
            if (d.badPart >= 0) {
                return where + ": key[" + d.badPart + "] " + d.badPartProblem;
            }
            if (d.aggregateProblem != null) {
                return where + ": " + d.aggregateProblem;
            }
        }
        for (int i = 0; i < b.output.size(); i++) {
            if (utf8Length(b.output.get(i).getText()) > MAX_OUTPUT_LINE_BYTES) {
                return "output[" + i + "] is longer than " + MAX_OUTPUT_LINE_BYTES + " bytes";
            }
        }
        return null;
    }

    private static String checkCount(long v, String field) {
        return v < 0 ? field + " " + Long.toUnsignedString(v) + " is too large" : null;
    }

    /** One {@code AggregateDelta} in {@code bytes[from, from + length)}; its key tuple goes to {@code tuples}. */
    private static RawDelta readDelta(byte[] bytes, int from, int length, OrderedKey.Writer tuples, RawDelta previous)
            throws InvalidProtocolBufferException {
        RawDelta d = new RawDelta();
        d.name = "";
        d.tupleFrom = tuples.length();
        int aggregateFrom = 0;
        int aggregateLength = 0;
        byte[] aggregateMerged = null;
        int aggregates = 0;
        WireReader in = new WireReader(bytes, from, length);
        for (int tag = in.tag(); tag != 0; tag = in.tag()) {
            switch (tag) {
                case DELTA_NAME -> {
                    int n = in.length();
                    if (previous != null && sameUtf8(previous.name, bytes, in.position(), n)) {
                        // The deltas of a batch mostly share their name: one String for them all.
                        d.name = previous.name;
                        in.skipBytes(n);
                    } else {
                        d.name = in.string(n);
                    }
                }
                case DELTA_KEY -> {
                    int n = in.length();
                    readKeyPart(new WireReader(bytes, in.position(), n), d, tuples);
                    in.skipBytes(n);
                }
                case DELTA_AGGREGATE -> {
                    int n = in.length();
                    if (aggregates++ == 0) {
                        aggregateFrom = in.position();
                        aggregateLength = n;
                    } else {
                        // A message field that occurs twice is the merge of both: its bytes concatenated.
                        byte[] before = aggregateMerged != null ? aggregateMerged
                                : Arrays.copyOfRange(bytes, aggregateFrom, aggregateFrom + aggregateLength);
                        aggregateMerged = Arrays.copyOf(before, before.length + n);
                        System.arraycopy(bytes, in.position(), aggregateMerged, before.length, n);
                    }
                    in.skipBytes(n);
                }
                default -> in.skip(tag);
            }
        }
        tuples.putByte(OrderedKey.TAG_END);
        d.tupleTo = tuples.length();
        d.value = aggregateMerged != null ? aggregateMerged
                : Arrays.copyOfRange(bytes, aggregateFrom, aggregateFrom + aggregateLength);
        try {
            d.aggregate = MergeableAggregate.parse(d.value, 0, d.value.length);
        } catch (InvalidAggregateException e) {
            d.aggregateProblem = e.getMessage();
            d.aggregate = new MergeableAggregate();
        }
        return d;
    }

    private static void readKeyPart(WireReader in, RawDelta d, OrderedKey.Writer tuples)
            throws InvalidProtocolBufferException {
        int kind = 0;
        long intValue = 0;
        int stringFrom = 0;
        int stringLength = 0;
        for (int tag = in.tag(); tag != 0; tag = in.tag()) {
            switch (tag) {
                case KEY_INT -> {
                    intValue = CodedInputStream.decodeZigZag64(in.varint());
                    kind = KEY_INT;
                }
                case KEY_STRING -> {
                    stringLength = in.length();
                    stringFrom = in.position();
                    in.requireUtf8(stringFrom, stringLength);
                    in.skipBytes(stringLength);
                    kind = KEY_STRING;
                }
                default -> in.skip(tag);
            }
        }
        int index = d.parts++;
        if (kind == KEY_INT) {
            tuples.putByte(OrderedKey.TAG_INT).putLong(intValue);
        } else if (kind == KEY_STRING) {
            tuples.putByte(OrderedKey.TAG_STRING).putUtf8(in.bytes(), stringFrom, stringLength);
            if (stringLength > MAX_KEY_STRING_BYTES && d.badPart < 0) {
                d.badPart = index;
                d.badPartProblem = "is longer than " + MAX_KEY_STRING_BYTES + " bytes";
            }
        } else if (d.badPart < 0) {
            d.badPart = index;
            d.badPartProblem = "has no value";
        }
    }

    private static void readLosses(WireReader in, Fields f) throws InvalidProtocolBufferException {
        for (int tag = in.tag(); tag != 0; tag = in.tag()) {
            switch (tag) {
                case LOSSES_RECORDS -> f.recordsLost = in.varint();
                case LOSSES_EVENTS -> f.eventsDropped = in.varint();
                default -> in.skip(tag);
            }
        }
    }

    private static boolean sameUtf8(String s, byte[] bytes, int from, int length) {
        if (s.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (s.charAt(i) != bytes[from + i]) { // a non-ASCII byte is negative: never equal to a char
                return false;
            }
        }
        return true;
    }

    /** Length of {@code s} in UTF-8, without encoding it. */
    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
