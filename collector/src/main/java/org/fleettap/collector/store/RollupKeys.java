package org.fleettap.collector.store;

/**
 * Keys of the {@code rollups} column family, which holds the 1 min and 1 h windows:
 * {@code session, name, resolution, window start, key tuple, host} in {@link OrderedKey}'s encoding
 * (string, string, byte, long, tuple, string). Values are {@code fleettap.v1.Aggregate} messages,
 * as in the {@code aggregates} column family.
 *
 * <p>Why time before series (the {@code aggregates} family puts the series first): the queries that
 * read rollup windows merge one statistic over many keys and hosts, and in this order the windows
 * of one statistic, resolution and time range are one contiguous range: an hour of a 10,000-series
 * statistic is one seek and 10,000 consecutive entries, instead of a seek per series.
 */
final class RollupKeys {
    private RollupKeys() {}

    /** The window of {@code series} ({@link AggregateKeys#series}) at rollup resolution {@code r} starting at {@code start}. */
    static byte[] window(byte[] series, Resolution r, long start) {
        int statistic = statisticLength(series);
        return new OrderedKey.Writer(series.length + 9).putEncoded(series, 0, statistic).putByte(r.code)
                .putLong(start).putEncoded(series, statistic, series.length).toBytes();
    }

    /** The first possible key of a statistic's windows of resolution {@code r} starting at or after {@code start}. */
    static byte[] from(byte[] statistic, Resolution r, long start) {
        return OrderedKey.Writer.startingWith(statistic).putByte(r.code).putLong(start).toBytes();
    }

    /**
     * Where the parts of a rollup key lie.
     *
     * @param keyStart offset of the key tuple
     * @param hostStart offset of the host string
     */
    record Parsed(Resolution resolution, long start, int keyStart, int hostStart) {}

    /** Parses a rollup key whose statistic prefix is {@code statisticLength} bytes long. */
    static Parsed parse(byte[] key, int statisticLength) {
        OrderedKey.Reader r = new OrderedKey.Reader(key, statisticLength);
        Resolution res = Resolution.ofCode(r.getByte());
        long start = r.getLong();
        int keyStart = r.position();
        r.skipKey();
        int hostStart = r.position();
        r.skipString();
        if (!r.atEnd()) {
            throw new IllegalArgumentException("rollup key has " + (key.length - r.position()) + " extra bytes");
        }
        return new Parsed(res, start, keyStart, hostStart);
    }

    /** Length of the statistic prefix (session, name) of a series or rollup key. */
    static int statisticLength(byte[] key) {
        OrderedKey.Reader r = new OrderedKey.Reader(key);
        r.skipString();
        r.skipString();
        return r.position();
    }

    /** A key for people: its parts, or its bytes in hex if it does not parse. */
    static String describe(byte[] key) {
        try {
            Parsed p = parse(key, statisticLength(key));
            OrderedKey.Reader r = new OrderedKey.Reader(key);
            String session = r.getString();
            String name = r.getString();
            var parts = new OrderedKey.Reader(key, p.keyStart()).getKey();
            String host = new OrderedKey.Reader(key, p.hostStart()).getString();
            return StoredAggregates.describe(session, name, parts, host, p.resolution(), p.start());
        } catch (IllegalArgumentException e) {
            return "key " + java.util.HexFormat.of().formatHex(key);
        }
    }
}
