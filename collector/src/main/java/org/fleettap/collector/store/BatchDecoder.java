package org.fleettap.collector.store;

import java.util.ArrayList;
import java.util.List;
import org.fleettap.aggregate.InvalidAggregateException;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.Aggregate;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.KeyPart;
import org.fleettap.proto.v1.OutputLine;

/**
 * Checks a batch against the wire contract's rules and limits (proto/README.md) and reads its
 * aggregates, so that nothing is written for a batch that is wrong anywhere.
 */
final class BatchDecoder {
    /** Window starts and ends must lie within ±2^62 ns of 1970 (about ±146 years). */
    static final long MIN_TIME = -(1L << 62);
    static final long MAX_TIME = 1L << 62;
    static final int MAX_HOST_ID_BYTES = 253;
    static final int MAX_KEY_PARTS = 9;
    static final int MAX_KEY_STRING_BYTES = 512;
    static final int MAX_OUTPUT_LINE_BYTES = 64 * 1024;

    private BatchDecoder() {}

    /** A batch that must not be applied; the message says what is wrong and where, in one line. */
    static final class RejectedBatchException extends Exception {
        private static final long serialVersionUID = 1L;

        RejectedBatchException(String message) {
            super(message, null, false, false);
        }
    }

    /** One statistic's delta, read ({@code aggregate}) and as it came ({@code message}). */
    record Delta(String name, List<KeyPart> key, MergeableAggregate aggregate, Aggregate message) {}

    /** The checked batch: its aggregate deltas read, empty ones left out. */
    record Decoded(Batch batch, List<Delta> deltas) {}

    static Decoded decode(Batch b) throws RejectedBatchException {
        if (b.getHostId().isEmpty()) {
            throw new RejectedBatchException("batch has no host_id");
        }
        if (utf8Length(b.getHostId()) > MAX_HOST_ID_BYTES) {
            throw new RejectedBatchException("host_id is longer than " + MAX_HOST_ID_BYTES + " bytes");
        }
        if (b.getSessionId().isEmpty()) {
            throw new RejectedBatchException("batch has no session_id");
        }
        if (b.getSequence() == 0) {
            throw new RejectedBatchException("sequence is 0; batches are numbered from 1");
        }
        if (b.getSequence() < 0) {
            throw new RejectedBatchException("sequence " + Long.toUnsignedString(b.getSequence()) + " is too large");
        }
        long start = b.getWindowStartUnixNanos();
        long end = b.getWindowEndUnixNanos();
        if (end < start) {
            throw new RejectedBatchException("window end " + end + " is before its start " + start);
        }
        if (start < MIN_TIME || end > MAX_TIME) {
            throw new RejectedBatchException("window [" + start + ", " + end + ") is out of range (±2^62 ns)");
        }
        requireCount(b.getSpoolDroppedBatches(), "spool_dropped_batches");
        requireCount(b.getLosses().getRecordsLost(), "losses.records_lost");
        requireCount(b.getLosses().getEventsDropped(), "losses.events_dropped");
        List<Delta> deltas = new ArrayList<>(b.getAggregatesCount());
        for (int i = 0; i < b.getAggregatesCount(); i++) {
            AggregateDelta d = b.getAggregates(i);
            String where = "aggregates[" + i + "] " + d.getName();
            if (d.getName().isEmpty()) {
                throw new RejectedBatchException("aggregates[" + i + "] has no name");
            }
            checkKey(d.getKeyList(), where);
            MergeableAggregate a;
            try {
                a = MergeableAggregate.fromProto(d.getAggregate());
            } catch (InvalidAggregateException e) {
                throw new RejectedBatchException(where + ": " + e.getMessage());
            }
            if (!a.isEmpty()) {
                deltas.add(new Delta(d.getName(), d.getKeyList(), a, d.getAggregate()));
            }
        }
        for (int i = 0; i < b.getOutputCount(); i++) {
            OutputLine line = b.getOutput(i);
            if (utf8Length(line.getText()) > MAX_OUTPUT_LINE_BYTES) {
                throw new RejectedBatchException("output[" + i + "] is longer than " + MAX_OUTPUT_LINE_BYTES + " bytes");
            }
        }
        return new Decoded(b, deltas);
    }

    private static void checkKey(List<KeyPart> key, String where) throws RejectedBatchException {
        if (key.size() > MAX_KEY_PARTS) {
            throw new RejectedBatchException(where + ": key has " + key.size() + " parts, at most " + MAX_KEY_PARTS);
        }
        for (int k = 0; k < key.size(); k++) {
            KeyPart part = key.get(k);
            switch (part.getValueCase()) {
                case INT_VALUE -> { }
                case STRING_VALUE -> {
                    if (utf8Length(part.getStringValue()) > MAX_KEY_STRING_BYTES) {
                        throw new RejectedBatchException(
                                where + ": key[" + k + "] is longer than " + MAX_KEY_STRING_BYTES + " bytes");
                    }
                }
                default -> throw new RejectedBatchException(where + ": key[" + k + "] has no value");
            }
        }
    }

    private static void requireCount(long v, String field) throws RejectedBatchException {
        if (v < 0) {
            throw new RejectedBatchException(field + " " + Long.toUnsignedString(v) + " is too large");
        }
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
