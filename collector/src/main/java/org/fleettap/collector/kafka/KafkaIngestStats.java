package org.fleettap.collector.kafka;

/**
 * What a {@link KafkaIngest} did since it started. A record that cannot be applied is skipped and counted by reason
 * ({@code malformed}, {@code oversized}, {@code rejected}); its offset advances like any other's, so a poisoned record
 * never holds the consumer back.
 *
 * @param records records read (every one of them advanced the stored offsets)
 * @param applied batches applied
 * @param duplicates batches applied before (producer resends, replays from an agent's spool)
 * @param rejected batches the store refused (they break a rule of the wire contract)
 * @param malformed records whose value is not a {@code Batch} message (none, truncated, garbled)
 * @param oversized records whose value is over {@link KafkaIngestConfig#maxRecordBytes()} (not parsed)
 * @param failedWrites store writes that failed (the records were read again from the stored offsets)
 */
public record KafkaIngestStats(long records, long applied, long duplicates, long rejected, long malformed,
        long oversized, long failedWrites) {
    /** Nothing read: the stats of a collector without Kafka ingest. */
    public KafkaIngestStats(long records, long applied, long duplicates, long rejected, long malformed,
            long failedWrites) {
        this(records, applied, duplicates, rejected, malformed, 0, failedWrites);
    }

    /** One line for the collector's log. */
    @Override
    public String toString() {
        return "records " + records + ", applied " + applied + ", duplicates " + duplicates + ", rejected " + rejected
                + ", malformed " + malformed + ", oversized " + oversized + ", failed writes " + failedWrites;
    }
}
