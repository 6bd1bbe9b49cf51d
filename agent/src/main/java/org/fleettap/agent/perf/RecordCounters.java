package org.fleettap.agent.perf;

/**
 * Counts of what was read out of perf ring buffers: delivered records, lost and throttled events, and records that
 * were skipped (unknown type or id, malformed) or forced a resync (corruption). Nothing skipped goes uncounted.
 * Written by the reading thread only; one instance may be shared by all the ring buffers of a session.
 */
public final class RecordCounters {
    long records;
    long samples;
    long lostRecords;
    long lost;
    long lostSamples;
    long throttles;
    long unthrottles;
    long unknownTypes;
    long unknownIds;
    long malformed;
    long corruptions;

    /** Records delivered to a consumer. */
    public long records() {
        return records;
    }

    /** PERF_RECORD_SAMPLE records delivered. */
    public long samples() {
        return samples;
    }

    /** PERF_RECORD_LOST records seen. */
    public long lostRecords() {
        return lostRecords;
    }

    /** Sum of the lost counts of PERF_RECORD_LOST records: events the kernel dropped because the buffer was full. */
    public long lost() {
        return lost;
    }

    /** Sum of PERF_RECORD_LOST_SAMPLES counts: samples the kernel dropped (e.g. for a failed user-memory read). */
    public long lostSamples() {
        return lostSamples;
    }

    /** PERF_RECORD_THROTTLE records seen: the kernel stopped sampling an event that fired too often. */
    public long throttles() {
        return throttles;
    }

    /** PERF_RECORD_UNTHROTTLE records seen. */
    public long unthrottles() {
        return unthrottles;
    }

    /** Records skipped because their type is not decoded here. */
    public long unknownTypes() {
        return unknownTypes;
    }

    /** Records whose id is not in the {@link IdRegistry}: samples are skipped, other records delivered without sample_id. */
    public long unknownIds() {
        return unknownIds;
    }

    /** Records skipped because their fields overrun their declared size. */
    public long malformed() {
        return malformed;
    }

    /** Times a ring buffer was found corrupt (bad record size or head) and resynchronised by dropping its content. */
    public long corruptions() {
        return corruptions;
    }

    @Override
    public String toString() {
        return "RecordCounters[records=" + records + ", samples=" + samples + ", lostRecords=" + lostRecords
                + ", lost=" + lost + ", lostSamples=" + lostSamples + ", throttles=" + throttles
                + ", unthrottles=" + unthrottles + ", unknownTypes=" + unknownTypes + ", unknownIds=" + unknownIds
                + ", malformed=" + malformed + ", corruptions=" + corruptions + "]";
    }
}
