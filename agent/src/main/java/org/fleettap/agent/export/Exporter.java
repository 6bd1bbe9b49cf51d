package org.fleettap.agent.export;

import java.time.Duration;
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

/**
 * Turns a running script into batches for the collector: every interval, the deltas of its statistics and
 * numbers ({@link ScriptExport}), the lines it printed ({@link OutputLines}), and the events the kernel lost, in a {@link Batch}
 * numbered per (host, session) from 1 and covering the window since the previous one. Batches with nothing in
 * them are not sent, except the last ({@code final_batch}). Runs on the session's thread.
 */
public final class Exporter {
    private final String hostId;
    private final String sessionId;
    private final ScriptExport script;
    private final Consumer<Batch> sink;
    private final LongSupplier wallNanos;
    private final LongSupplier lostRecords;
    private final OutputLines lines;
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
        Batch.Builder b = Batch.newBuilder().setHostId(hostId).setSessionId(sessionId).setSequence(++sequence)
                .setWindowStartUnixNanos(windowStart).setWindowEndUnixNanos(end).addAllOutput(printed)
                .setLosses(LossCounters.newBuilder().setRecordsLost(lostNow)).setFinalBatch(last);
        for (ScriptExport.Delta d : deltas) {
            AggregateDelta.Builder a = AggregateDelta.newBuilder().setName(d.name()).setAggregate(d.aggregate().toProto());
            for (Object k : d.key()) {
                a.addKey(k instanceof String s ? KeyPart.newBuilder().setStringValue(s)
                        : KeyPart.newBuilder().setIntValue((Long) k));
            }
            b.addAggregates(a);
        }
        lostBefore = lost;
        windowStart = end;
        sink.accept(b.build());
    }
}
