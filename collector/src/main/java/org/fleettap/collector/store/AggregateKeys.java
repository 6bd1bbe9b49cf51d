package org.fleettap.collector.store;

import java.util.List;
import org.fleettap.proto.v1.KeyPart;

/**
 * Keys of the {@code aggregates} column family:
 * {@code session, name, key tuple, host, resolution, window start} in {@link OrderedKey}'s encoding
 * (strings, strings, tuple, string, byte, long), and for 1 s windows also the sequence number of
 * the batch that brought the delta (long). So
 *
 * <ul>
 *   <li>a time range of one (session, name, key, host) at one resolution is one contiguous range,
 *   <li>a (session, name) prefix covers every key and host of the statistic,
 *   <li>the windows of one (session, name, key, host) — a <em>series</em> — are contiguous, finest
 *       resolution first.
 * </ul>
 *
 * Values are {@code fleettap.v1.Aggregate} messages ({@code MergeableAggregate.toProto}).
 *
 * <p>Why the sequence: a 1 s window of a series is then written once, by one batch, whatever else
 * was written before, so ingest puts it without reading (a batch is applied exactly once, and it
 * holds at most one delta per series when the agent exports every second). A second that several
 * batches cover (export intervals under 1 s, an agent restarted within the second) holds one entry
 * per batch; queries merge every entry in their range anyway. Rollup windows (1 min, 1 h) are one
 * entry each, read, merged and rewritten.
 */
final class AggregateKeys {
    private AggregateKeys() {}

    /** The prefix of every key of one statistic. */
    static byte[] statistic(String session, String name) {
        return new OrderedKey.Writer().putString(session).putString(name).toBytes();
    }

    /** Prefix of one series: statistic, key tuple, host. */
    static byte[] series(String session, String name, List<KeyPart> key, String host) {
        return new OrderedKey.Writer().putString(session).putString(name).putKey(key).putString(host).toBytes();
    }

    /**
     * A rollup window's key, or the prefix of a 1 s window's entries: the series prefix, the
     * resolution and the window start.
     */
    static byte[] window(byte[] series, Resolution r, long start) {
        return OrderedKey.Writer.startingWith(series).putByte(r.code).putLong(start).toBytes();
    }

    /** The key of the 1 s window entry written by batch {@code sequence}. */
    static byte[] second(byte[] series, long start, long sequence) {
        return new OrderedKey.Writer(series.length + 17).putEncoded(series, 0, series.length)
                .putByte(Resolution.SECOND.code).putLong(start).putLong(sequence).array();
    }

    /** Prefix of one series' windows of one resolution. */
    static byte[] seriesAt(byte[] series, Resolution r) {
        return OrderedKey.Writer.startingWith(series).putByte(r.code).toBytes();
    }

    /**
     * Where the parts of a window key lie.
     *
     * @param keyStart offset of the key tuple
     * @param hostStart offset of the host string
     * @param seriesEnd length of the series prefix (offset of the resolution byte)
     * @param resolution the window's resolution
     * @param start the window start
     * @param sequence for a 1 s window, the sequence of the batch that wrote it; 0 for rollups
     */
    record Parsed(int keyStart, int hostStart, int seriesEnd, Resolution resolution, long start, long sequence) {}

    /** Parses a window key whose statistic prefix is {@code statisticLength} bytes long. */
    static Parsed parse(byte[] key, int statisticLength) {
        OrderedKey.Reader r = new OrderedKey.Reader(key, statisticLength);
        r.skipKey();
        int hostStart = r.position();
        r.skipString();
        int seriesEnd = r.position();
        Resolution res = Resolution.ofCode(r.getByte());
        long start = r.getLong();
        long sequence = res == Resolution.SECOND ? r.getLong() : 0;
        if (!r.atEnd()) {
            throw new IllegalArgumentException("aggregate key has " + (key.length - r.position()) + " extra bytes");
        }
        return new Parsed(statisticLength, hostStart, seriesEnd, res, start, sequence);
    }

    /** Parses a whole window key, statistic prefix included. */
    static Parsed parse(byte[] key) {
        OrderedKey.Reader r = new OrderedKey.Reader(key);
        r.skipString();
        r.skipString();
        return parse(key, r.position());
    }
}
