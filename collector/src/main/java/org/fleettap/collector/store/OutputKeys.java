package org.fleettap.collector.store;

/**
 * Keys of the {@code output} column family: {@code session, time, host, sequence, index} (string,
 * long, string, long, int), so a session's lines sort by the time they were printed, then by host,
 * then in the order of their batch. Values are the lines' UTF-8 text.
 */
final class OutputKeys {
    private OutputKeys() {}

    static byte[] session(String session) {
        return new OrderedKey.Writer().putString(session).toBytes();
    }

    static byte[] line(String session, long time, String host, long sequence, int index) {
        return new OrderedKey.Writer().putString(session).putLong(time).putString(host).putLong(sequence)
                .putInt(index).toBytes();
    }

    static byte[] sessionFrom(byte[] session, long time) {
        return OrderedKey.Writer.startingWith(session).putLong(time).toBytes();
    }
}
