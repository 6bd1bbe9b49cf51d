package org.fleettap.collector.ingest;

/**
 * How {@link IngestServiceImpl} queues and groups batches.
 *
 * @param queueBatches the most batches received and not yet acknowledged, over all streams, beyond one per stream
 *     (each stream's own place): the ingest queue's bound. A stream asks gRPC for more batches only while this leaves
 *     room (its manual inbound flow control)
 * @param queueBytes the most bytes of received, unacknowledged batches: streams ask for no more while the queued
 *     batches hold this many. Batches already asked for still arrive, so memory stays below {@code queueBytes} plus
 *     {@code queueBatches} + (open streams) messages of at most {@link IngestServiceImpl#MAX_MESSAGE_BYTES}
 * @param streamWindow the most batches one stream may have asked for and not yet had acknowledged (the agents'
 *     {@code RegisterResponse.max_unacked_batches})
 * @param groupBatches the most batches written in one store write (group commit)
 * @param groupBytes a group is closed once it holds this many bytes
 * @param maxBatchBytes larger batches are REJECTED ({@code RegisterResponse.max_batch_bytes})
 */
public record IngestSettings(int queueBatches, long queueBytes, int streamWindow, int groupBatches, long groupBytes,
        int maxBatchBytes) {
    public static final int DEFAULT_QUEUE_BATCHES = 1024;
    public static final long DEFAULT_QUEUE_BYTES = 64L << 20;
    public static final int DEFAULT_STREAM_WINDOW = 64;
    public static final int DEFAULT_GROUP_BATCHES = 256;
    public static final long DEFAULT_GROUP_BYTES = 8L << 20;
    public static final int DEFAULT_MAX_BATCH_BYTES = 1 << 20;

    public IngestSettings {
        positive("queueBatches", queueBatches);
        positive("queueBytes", queueBytes);
        positive("streamWindow", streamWindow);
        positive("groupBatches", groupBatches);
        positive("groupBytes", groupBytes);
        positive("maxBatchBytes", maxBatchBytes);
        if (maxBatchBytes > IngestServiceImpl.MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("maxBatchBytes " + maxBatchBytes + " is above the gRPC message limit of "
                    + IngestServiceImpl.MAX_MESSAGE_BYTES);
        }
    }

    public static IngestSettings defaults() {
        return new IngestSettings(DEFAULT_QUEUE_BATCHES, DEFAULT_QUEUE_BYTES, DEFAULT_STREAM_WINDOW,
                DEFAULT_GROUP_BATCHES, DEFAULT_GROUP_BYTES, DEFAULT_MAX_BATCH_BYTES);
    }

    public IngestSettings withQueue(int batches, long bytes) {
        return new IngestSettings(batches, bytes, streamWindow, groupBatches, groupBytes, maxBatchBytes);
    }

    public IngestSettings withStreamWindow(int batches) {
        return new IngestSettings(queueBatches, queueBytes, batches, groupBatches, groupBytes, maxBatchBytes);
    }

    public IngestSettings withGroup(int batches, long bytes) {
        return new IngestSettings(queueBatches, queueBytes, streamWindow, batches, bytes, maxBatchBytes);
    }

    public IngestSettings withMaxBatchBytes(int bytes) {
        return new IngestSettings(queueBatches, queueBytes, streamWindow, groupBatches, groupBytes, bytes);
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
    }
}
