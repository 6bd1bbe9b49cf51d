package org.fleettap.collector.store;

import com.google.protobuf.InvalidProtocolBufferException;
import org.fleettap.aggregate.InvalidAggregateException;
import org.fleettap.aggregate.MergeableAggregate;

/** Reads aggregate values of the {@code aggregates} column family. */
final class StoredAggregates {
    private StoredAggregates() {}

    /**
     * The aggregate stored under {@code key}.
     *
     * @throws StoreException if the value is not a valid aggregate (the store is corrupt)
     */
    static MergeableAggregate read(byte[] key, byte[] value) {
        return decode(value, "the aggregate stored at ", key, false);
    }

    /** The aggregate stored under {@code key} in the {@code rollups} column family; see {@link #read}. */
    static MergeableAggregate readRollup(byte[] key, byte[] value) {
        return decode(value, "the rollup window stored at ", key, true);
    }

    private static MergeableAggregate decode(byte[] value, String what, byte[] key, boolean rollup) {
        try {
            return MergeableAggregate.parse(value, 0, value.length);
        } catch (InvalidProtocolBufferException | InvalidAggregateException e) {
            throw new StoreException("reading " + what + (rollup ? RollupKeys.describe(key) : describe(key)) + ": "
                    + e.getMessage(), e);
        }
    }

    /** A window for people: "session S NAME[KEY...] host H RESOLUTION window START". */
    static String describe(String session, String name, java.util.List<org.fleettap.proto.v1.KeyPart> parts,
            String host, Resolution res, long start) {
        return "session " + session + " " + name + parts.stream().map(p -> p.hasIntValue()
                ? Long.toString(p.getIntValue()) : '"' + p.getStringValue() + '"').toList()
                + " host " + host + " " + res + " window " + start;
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
            return describe(session, name, parts, host, res, start)
                    + (res == Resolution.SECOND ? " batch " + r.getLong() : "");
        } catch (IllegalArgumentException e) {
            return "key " + java.util.HexFormat.of().formatHex(key);
        }
    }
}
