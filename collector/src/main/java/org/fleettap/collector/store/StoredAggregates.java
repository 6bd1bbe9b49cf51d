package org.fleettap.collector.store;

import com.google.protobuf.InvalidProtocolBufferException;
import org.fleettap.aggregate.InvalidAggregateException;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.Aggregate;

/** Reads aggregate values of the {@code aggregates} column family. */
final class StoredAggregates {
    private StoredAggregates() {}

    /**
     * The aggregate stored under {@code key}.
     *
     * @throws StoreException if the value is not a valid aggregate (the store is corrupt)
     */
    static MergeableAggregate read(byte[] key, byte[] value) {
        try {
            return MergeableAggregate.fromProto(Aggregate.parseFrom(value));
        } catch (InvalidProtocolBufferException | InvalidAggregateException e) {
            throw new StoreException("reading the aggregate stored at " + describe(key) + ": " + e.getMessage(), e);
        }
    }

    /** The aggregate stored under {@code key} in the {@code rollups} column family; see {@link #read}. */
    static MergeableAggregate readRollup(byte[] key, byte[] value) {
        try {
            return MergeableAggregate.fromProto(Aggregate.parseFrom(value));
        } catch (InvalidProtocolBufferException | InvalidAggregateException e) {
            throw new StoreException("reading the rollup window stored at " + RollupKeys.describe(key) + ": "
                    + e.getMessage(), e);
        }
    }

    /** A key for people: its parts, or its bytes in hex if it does not parse. */
    static String describe(byte[] key) {
        try {
            OrderedKey.Reader r = new OrderedKey.Reader(key);
            String session = r.getString();
            String name = r.getString();
            var parts = r.getKey();
            String host = r.getString();
            Resolution res = Resolution.ofCode(r.getByte());
            long start = r.getLong();
            return "session " + session + " " + name + parts.stream().map(p -> p.hasIntValue()
                    ? Long.toString(p.getIntValue()) : '"' + p.getStringValue() + '"').toList()
                    + " host " + host + " " + res + " window " + start
                    + (res == Resolution.SECOND ? " batch " + r.getLong() : "");
        } catch (IllegalArgumentException e) {
            return "key " + java.util.HexFormat.of().formatHex(key);
        }
    }
}
