package org.fleettap.agent.export;

import com.google.protobuf.CodedOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.fleettap.agent.compiler.ScriptExport;
import org.fleettap.agent.session.Session;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.KeyPart;
import org.fleettap.proto.v1.LossCounters;
import org.fleettap.proto.v1.OutputLine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a running script into batches for the collector: every interval, the deltas of its statistics and
 * numbers ({@link ScriptExport}), the lines it printed ({@link OutputLines}), and the events the kernel lost, in a {@link Batch}
 * numbered per (host, session) from 1 and covering the window since the previous one; an interval whose deltas
 * would make a batch larger than the collector takes is split over several batches of the same window. Batches with
 * nothing in them are not sent, except the last ({@code final_batch}). Runs on the session's thread.
 */
public final class Exporter {
    private static final Logger log = LoggerFactory.getLogger(Exporter.class);
    /**
     * The collector's default {@code max_batch_bytes}: larger batches are rejected, and everything in them lost. A
     * statistic of 1000 keys with values over a few decades is about 0.4 MB a second, so a longer interval, or a
     * session thread that fell behind, would exceed it in one batch.
     */
    public static final int DEFAULT_MAX_BATCH_BYTES = 1 << 20;
    /** Room for a batch's own fields (ids, window, counters) and one small delta. */
    static final int MIN_MAX_BATCH_BYTES = 4 << 10;
    /** The most the sequence number and the final flag, set last, add to a batch. */
    private static final int NUMBERING_BYTES = 16;
    private final String hostId;
    private final String sessionId;
    private final ScriptExport script;
    private final Consumer<Batch> sink;
    private final LongSupplier wallNanos;
    private final LongSupplier lostRecords;
    private final OutputLines lines;
    private final int maxBatchBytes;
    private long sequence;
    private long windowStart;
    private long lostBefore;
    private boolean finished;

    /**
     * @param wallNanos   the wall clock, unix nanoseconds (windows)
     * @param lostRecords the kernel's lost-record count so far (the exporter sends its changes)
     */
    public Exporter(String hostId, String sessionId, ScriptExport script, OutputLines lines, Consumer<Batch> sink,
            LongSupplier wallNanos, LongSupplier lostRecords) {
        this(hostId, sessionId, script, lines, sink, wallNanos, lostRecords, DEFAULT_MAX_BATCH_BYTES);
    }

    /**
     * @param maxBatchBytes the largest batch the collector takes: the deltas of one interval are split over as many
     *     batches as it takes (each numbered, all with the same window; output lines and lost events go in the
     *     first), so that none is larger, unless a single delta is
     */
    public Exporter(String hostId, String sessionId, ScriptExport script, OutputLines lines, Consumer<Batch> sink,
            LongSupplier wallNanos, LongSupplier lostRecords, int maxBatchBytes) {
        if (maxBatchBytes < MIN_MAX_BATCH_BYTES) {
            throw new IllegalArgumentException("maxBatchBytes " + maxBatchBytes + " is below " + MIN_MAX_BATCH_BYTES);
        }
        this.maxBatchBytes = maxBatchBytes;
        this.lines = Objects.requireNonNull(lines, "lines");
        this.hostId = Objects.requireNonNull(hostId, "hostId");
        this.sessionId = Objects.requireNonNull(sessionId, "sessionId");
        this.script = Objects.requireNonNull(script, "script");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.wallNanos = Objects.requireNonNull(wallNanos, "wallNanos");
        this.lostRecords = Objects.requireNonNull(lostRecords, "lostRecords");
        this.windowStart = wallNanos.getAsLong();
    }

    /** Exports every {@code interval} while {@code session} runs; lines are stamped with its events' times. */
    public void attach(Session session, Duration interval) {
        lines.stampWith(session::eventRealtimeNanos);
        session.every(interval, this::flush);
    }

    /**
     * Continues the numbering after {@code sequence} (what this host used for the session before a restart):
     * the next batch is {@code sequence + 1}. Call before the first batch.
     */
    public void continueAfter(long sequence) {
        if (this.sequence != 0) {
            throw new IllegalStateException("batches already sent; the numbering cannot change");
        }
        this.sequence = sequence;
    }

    /** The sequence number of the last batch sent (0 before the first). */
    public long sequence() {
        return sequence;
    }

    /** Sends what changed since the last batch, if anything did. */
    public void flush() {
        send(false);
    }

    /** Sends the last batch (with anything not sent yet, and a last line not ended by a newline). */
    public void finish() {
        if (finished) {
            return;
        }
        send(true);
        finished = true;
    }

    private void send(boolean last) {
        if (finished) {
            throw new IllegalStateException("session " + sessionId + " already sent its final batch");
        }
        List<ScriptExport.Delta> deltas = script.drain();
        List<OutputLine> printed = lines.drain(last);
        // Never negative: a count that went down (it should not) is not a loss undone.
        long lost = Math.max(lostBefore, lostRecords.getAsLong());
        long lostNow = lost - lostBefore;
        if (!last && deltas.isEmpty() && printed.isEmpty() && lostNow == 0) {
            return;
        }
        long end = Math.max(windowStart, wallNanos.getAsLong());
        List<Batch.Builder> parts = new ArrayList<>();
        Batch.Builder b = newBatch(end).addAllOutput(printed).setLosses(LossCounters.newBuilder()
                .setRecordsLost(lostNow));
        parts.add(b);
        int size = b.build().getSerializedSize() + NUMBERING_BYTES;
        for (ScriptExport.Delta d : deltas) {
            AggregateDelta.Builder a = AggregateDelta.newBuilder().setName(d.name()).setAggregate(d.aggregate().toProto());
            for (Object k : d.key()) {
                a.addKey(k instanceof String s ? KeyPart.newBuilder().setStringValue(s)
                        : KeyPart.newBuilder().setIntValue((Long) k));
            }
            AggregateDelta delta = a.build();
            int bytes = CodedOutputStream.computeMessageSize(Batch.AGGREGATES_FIELD_NUMBER, delta);
            if (size + bytes > maxBatchBytes && b.getAggregatesCount() > 0) {
                b = newBatch(end);
                parts.add(b);
                size = b.build().getSerializedSize() + NUMBERING_BYTES;
            }
            b.addAggregates(delta);
            size += bytes;
        }
        for (int i = 0; i < parts.size(); i++) {
            Batch part = parts.get(i).setSequence(++sequence).setFinalBatch(last && i == parts.size() - 1).build();
            if (part.getSerializedSize() > maxBatchBytes) {
                log.warn("batch {} of session {} is {} bytes, over the {} the collector takes, with its one aggregate"
                        + " delta: it will be rejected", part.getSequence(), sessionId, part.getSerializedSize(),
                        maxBatchBytes);
            }
            sink.accept(part);
        }
        lostBefore = lost;
        windowStart = end;
    }

    /** A batch of this host and session for the window ending at {@code end}, not numbered yet. */
    private Batch.Builder newBatch(long end) {
        return Batch.newBuilder().setHostId(hostId).setSessionId(sessionId).setWindowStartUnixNanos(windowStart)
                .setWindowEndUnixNanos(end);
    }
}
