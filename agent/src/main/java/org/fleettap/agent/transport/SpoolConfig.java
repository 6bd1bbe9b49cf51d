package org.fleettap.agent.transport;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the spool lives and how much disk it may use.
 *
 * @param directory the spool's own directory (created if missing; one agent at a time)
 * @param maxBytes the bound on the spool's files; when a batch would exceed it, the oldest batches
 *     are dropped (and counted)
 * @param segmentBytes the size at which a segment file is closed and a new one begun; space is
 *     freed, and the oldest batches dropped, a whole segment at a time
 */
public record SpoolConfig(Path directory, long maxBytes, long segmentBytes) {
    public static final long DEFAULT_MAX_BYTES = 256L << 20;
    /** Segments default to this fraction of the bound, so a drop frees about 1/64 of the spool. */
    public static final int DEFAULT_SEGMENTS_PER_SPOOL = 64;
    public static final long MIN_DEFAULT_SEGMENT_BYTES = 64L << 10;
    public static final long MAX_DEFAULT_SEGMENT_BYTES = 8L << 20;
    /** The smallest bound that holds one empty batch. */
    public static final long MIN_MAX_BYTES = SpoolFormat.SEGMENT_HEADER_BYTES + SpoolFormat.RECORD_HEADER_BYTES;
    /** Segments are read whole when the spool is opened, so they stay well below 2 GiB. */
    public static final long MAX_SEGMENT_BYTES = 1L << 30;

    public SpoolConfig {
        Objects.requireNonNull(directory, "directory");
        if (maxBytes < MIN_MAX_BYTES) {
            throw new IllegalArgumentException("spool maxBytes " + maxBytes + " is below " + MIN_MAX_BYTES);
        }
        if (segmentBytes <= 0 || segmentBytes > Math.min(maxBytes, MAX_SEGMENT_BYTES)) {
            throw new IllegalArgumentException("spool segmentBytes " + segmentBytes + " must be in 1.."
                    + Math.min(maxBytes, MAX_SEGMENT_BYTES) + " (maxBytes, at most 1 GiB)");
        }
    }

    /** A spool in {@code directory} with the default bound. */
    public static SpoolConfig of(Path directory) {
        return of(directory, DEFAULT_MAX_BYTES);
    }

    /** A spool in {@code directory} bounded by {@code maxBytes}, with segments of the default size. */
    public static SpoolConfig of(Path directory, long maxBytes) {
        long segment = Math.min(maxBytes, Math.max(MIN_DEFAULT_SEGMENT_BYTES,
                Math.min(MAX_DEFAULT_SEGMENT_BYTES, maxBytes / DEFAULT_SEGMENTS_PER_SPOOL)));
        return new SpoolConfig(directory, maxBytes, segment);
    }

    public SpoolConfig withSegmentBytes(long bytes) {
        return new SpoolConfig(directory, maxBytes, bytes);
    }
}
