package org.fleettap.collector.store;

import java.nio.ByteBuffer;

/**
 * Keys and values of the {@code applied} column family, two key spaces by their first byte:
 *
 * <ul>
 *   <li>{@code 0x01, host, session} → {@link AppliedState}: the highest sequence applied for the
 *       (host, session) and the losses summed over its batches (version byte, then five big-endian
 *       longs);
 *   <li>{@code 0x02, topic, partition} → the Kafka consumer offset stored with the batches read
 *       (a big-endian long: by Kafka's convention, the next offset to read);
 *   <li>{@code 0x03, host, session, sequence} → the rollup record of an applied batch whose deltas
 *       are not yet merged into the stored rollup windows (see {@link PendingRollups}): the second
 *       its deltas went to, then the name and key tuple of each series it wrote, in
 *       {@link OrderedKey}'s encoding. Written with the batch, deleted with the rollup windows that
 *       take its deltas in.
 * </ul>
 */
final class AppliedKeys {
    static final int SEQUENCES = 0x01;
    static final int KAFKA_OFFSETS = 0x02;
    static final int UNROLLED = 0x03;
    private static final int STATE_VERSION = 1;
    private static final int STATE_BYTES = 1 + 5 * Long.BYTES;

    private AppliedKeys() {}

    static byte[] sequence(String host, String session) {
        return new OrderedKey.Writer().putByte(SEQUENCES).putString(host).putString(session).toBytes();
    }

    static byte[] kafkaOffset(KafkaPartition p) {
        return new OrderedKey.Writer().putByte(KAFKA_OFFSETS).putString(p.topic()).putInt(p.partition()).toBytes();
    }

    /** The key of the rollup record of batch {@code sequence} of (host, session). */
    static byte[] unrolled(String host, String session, long sequence) {
        return new OrderedKey.Writer().putByte(UNROLLED).putString(host).putString(session).putLong(sequence)
                .toBytes();
    }

    static KafkaPartition parseKafkaOffsetKey(byte[] key) {
        OrderedKey.Reader r = new OrderedKey.Reader(key);
        if (r.getByte() != KAFKA_OFFSETS) {
            throw new IllegalArgumentException("not a Kafka offset key");
        }
        return new KafkaPartition(r.getString(), r.getInt());
    }

    static byte[] encodeLong(long v) {
        return ByteBuffer.allocate(Long.BYTES).putLong(v).array();
    }

    static long decodeLong(byte[] b) {
        if (b.length != Long.BYTES) {
            throw new IllegalArgumentException("expected 8 bytes, got " + b.length);
        }
        return ByteBuffer.wrap(b).getLong();
    }

    static byte[] encode(AppliedState s) {
        return ByteBuffer.allocate(STATE_BYTES).put((byte) STATE_VERSION).putLong(s.sequence())
                .putLong(s.losses().recordsLost()).putLong(s.losses().eventsDropped())
                .putLong(s.losses().spoolDroppedBatches()).putLong(s.losses().missingBatches()).array();
    }

    static AppliedState decode(byte[] b) {
        if (b.length != STATE_BYTES || b[0] != STATE_VERSION) {
            throw new IllegalArgumentException("applied state of " + b.length + " bytes, version " + (b.length > 0 ? b[0] : -1)
                    + "; expected " + STATE_BYTES + " bytes, version " + STATE_VERSION);
        }
        ByteBuffer buf = ByteBuffer.wrap(b, 1, b.length - 1);
        long seq = buf.getLong();
        return new AppliedState(seq, new Losses(buf.getLong(), buf.getLong(), buf.getLong(), buf.getLong()));
    }
}
