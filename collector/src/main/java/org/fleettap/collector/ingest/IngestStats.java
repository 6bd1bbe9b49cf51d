package org.fleettap.collector.ingest;

/**
 * What an ingest path did since it started. Refused batches are counted by reason, so that an operator can tell a
 * sender that breaks the wire format (malformed) from one that sends too much (oversized) or wrong content
 * (invalid); {@link #rejected()} is their sum.
 *
 * @param applied batches applied
 * @param duplicates batches applied before (resends); nothing changed
 * @param malformed messages that are not a protobuf {@code Batch} (truncated, garbled): refused, the stream stays open
 * @param oversized batches over {@link IngestSettings#maxBatchBytes()}
 * @param invalid batches that break a rule of the wire contract (no host, sequence 0, an inconsistent aggregate, ...)
 * @param failed batches whose store write failed (not applied, not acknowledged: their senders resend them)
 * @param forbidden batches a bound agent certificate sent for a host other than its own: refused like malformed ones
 */
public record IngestStats(long applied, long duplicates, long malformed, long oversized, long invalid, long failed,
        long forbidden) {
    /** Nothing forbidden: the counts of a collector that checks no certificates. */
    public IngestStats(long applied, long duplicates, long malformed, long oversized, long invalid, long failed) {
        this(applied, duplicates, malformed, oversized, invalid, failed, 0);
    }

    /** Batches refused for good, for every reason. */
    public long rejected() {
        return malformed + oversized + invalid + forbidden;
    }

    /** One line for the collector's log. */
    @Override
    public String toString() {
        return "applied " + applied + ", duplicates " + duplicates + ", rejected " + rejected() + " (malformed "
                + malformed + ", oversized " + oversized + ", invalid " + invalid + ", forbidden " + forbidden
                + "), failed " + failed;
    }
}
