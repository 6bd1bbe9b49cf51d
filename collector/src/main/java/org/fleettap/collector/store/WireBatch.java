package org.fleettap.collector.store;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.List;
import java.util.Objects;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.OutputLine;

/**
 * A batch as the store applies it: read from its serialized bytes and checked against the wire
 * contract's rules and limits (proto/README.md), its aggregate deltas decoded, their series keys
 * built and their values kept as they came. Made by {@link #decode} where the bytes arrive (the
 * gRPC ingest reads a batch on gRPC's threads, so the single writer thread only writes), or by
 * {@link #of} from a parsed {@code Batch}.
 *
 * <p>Why not the generated {@code Batch}: parsing one builds a message per delta, key part,
 * aggregate, sketch and bucket list through nested builders, and the store then copied all of it
 * into aggregates and encoded it again for the 1 s entries; that was most of the collector's CPU.
 *
 * <p>A batch that breaks a rule is still a {@code WireBatch}, with its identity and {@link
 * #rejection} set: the store answers it REJECTED in its place in the group. Bytes that are not a
 * protobuf {@code Batch} at all fail {@link #decode}.
 *
 * <p>Not changed once made, so it may be handed to the writer thread through a queue; but applying it
 * hands its decoded deltas to the store, which adds later deltas into them (the pending rollups):
 * give each {@code WireBatch} to the store once ({@link Store#applyAll} decodes its batches anew on
 * every call).
 */
public final class WireBatch {
    /**
     * One statistic's delta: its series key (hashed here, off the writer's thread), the delta read,
     * and its {@code Aggregate} bytes as received.
     */
    record Delta(String name, ByteKey seriesKey, org.fleettap.aggregate.MergeableAggregate aggregate, byte[] value) {
        byte[] series() {
            return seriesKey.bytes();
        }
    }

    final String hostId;
    final String sessionId;
    final long sequence;
    final long windowStart;
    final long windowEnd;
    final long recordsLost;
    final long eventsDropped;
    final long spoolDroppedBatches;
    final boolean finalBatch;
    final int serializedSize;
    /** Why the batch must not be applied (one line), or null. */
    final String rejection;
    /** The non-empty deltas, in order (empty when rejected). */
    final List<Delta> deltas;
    /** Whether two of the deltas are of one series (then the writer merges them into one entry). */
    final boolean repeatsSeries;
    final List<OutputLine> output;
    /** The session prefix's and the host suffix's lengths within every series key. */
    final int sessionKeyLength;
    final int hostKeyLength;
    private final Batch batch;
    private final boolean malformed;

    WireBatch(BatchDecoder.Fields f, String rejection, List<Delta> deltas, boolean repeatsSeries,
            int sessionKeyLength, int hostKeyLength, Batch batch) {
        this(f, rejection, deltas, repeatsSeries, sessionKeyLength, hostKeyLength, batch, false);
    }

    private WireBatch(BatchDecoder.Fields f, String rejection, List<Delta> deltas, boolean repeatsSeries,
            int sessionKeyLength, int hostKeyLength, Batch batch, boolean malformed) {
        this.malformed = malformed;
        this.hostId = f.hostId;
        this.sessionId = f.sessionId;
        this.sequence = f.sequence;
        this.windowStart = f.windowStart;
        this.windowEnd = f.windowEnd;
        this.recordsLost = f.recordsLost;
        this.eventsDropped = f.eventsDropped;
        this.spoolDroppedBatches = f.spoolDroppedBatches;
        this.finalBatch = f.finalBatch;
        this.serializedSize = f.serializedSize;
        this.output = List.copyOf(f.output);
        this.rejection = rejection;
        this.deltas = deltas;
        this.repeatsSeries = repeatsSeries;
        this.sessionKeyLength = sessionKeyLength;
        this.hostKeyLength = hostKeyLength;
        this.batch = batch;
    }

    /**
     * Reads and checks a serialized {@code fleettap.v1.Batch}.
     *
     * @throws InvalidProtocolBufferException if the bytes are not a protobuf {@code Batch}
     */
    public static WireBatch decode(byte[] bytes) throws InvalidProtocolBufferException {
        Objects.requireNonNull(bytes, "bytes");
        try {
            return BatchDecoder.decode(bytes, null);
        } catch (RuntimeException e) {
            // A reader bug must cost one batch, not the stream or the consumer: the bytes are taken as malformed.
            throw new InvalidProtocolBufferException("unreadable batch (" + e + ")");
        }
    }

    /**
     * A batch whose {@code size} bytes are not a protobuf {@code Batch}: it has no identity, it is never
     * applied, and {@link #malformed()} is true; {@code why} (one line) becomes its {@link #rejection}.
     */
    public static WireBatch malformed(int size, String why) {
        BatchDecoder.Fields f = new BatchDecoder.Fields();
        f.serializedSize = size;
        return new WireBatch(f, "batch is not a protobuf Batch: " + Objects.requireNonNull(why, "why"), List.of(),
                false, 0, 0, Batch.getDefaultInstance(), true);
    }

    /**
     * Checks a parsed batch, as {@link #decode} its bytes; {@link #batch} is {@code batch} itself. A batch the
     * reader cannot take (which would be a reader bug, since the message parsed) is rejected with the reason.
     */
    public static WireBatch of(Batch batch) {
        byte[] bytes = batch.toByteArray();
        try {
            return BatchDecoder.decode(bytes, batch);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            BatchDecoder.Fields f = new BatchDecoder.Fields();
            f.hostId = batch.getHostId();
            f.sessionId = batch.getSessionId();
            f.sequence = batch.getSequence();
            f.serializedSize = bytes.length;
            return new WireBatch(f, "batch is unreadable: " + e.getMessage(), List.of(), false, 0, 0, batch, false);
        }
    }

    public String hostId() {
        return hostId;
    }

    public String sessionId() {
        return sessionId;
    }

    public long sequence() {
        return sequence;
    }

    /** Size of the serialized batch in bytes. */
    public int serializedSize() {
        return serializedSize;
    }

    /** Why the batch must not be applied, in one line; null if it may. */
    public String rejection() {
        return rejection;
    }

    /** Whether the bytes were not a protobuf {@code Batch} at all (see {@link #malformed(int, String)}). */
    public boolean malformed() {
        return malformed;
    }

    /**
     * The batch as a message, for those who follow applied batches: the batch itself when made by
     * {@link #of}; when decoded from bytes, every field but the deltas' key parts and aggregates
     * (each delta carries its name), which the store holds once the batch is applied.
     */
    public Batch batch() {
        return batch;
    }

    @Override
    public String toString() {
        return "batch " + Long.toUnsignedString(sequence) + " of host '" + hostId + "' session '" + sessionId + "'";
    }
}
