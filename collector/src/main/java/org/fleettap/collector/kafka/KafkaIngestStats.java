package org.fleettap.collector.kafka;

/**
 * What a {@link KafkaIngest} did since it started.
 *
 * @param records records read (every one of them advanced the stored offsets)
 * @param applied batches applied
 * @param duplicates batches applied before (producer resends, replays from an agent's spool)
 * @param rejected batches the store refused (malformed content, over a limit)
 * @param malformed records whose value is not a {@code Batch} message (counted, skipped)
 * @param failedWrites store writes that failed (the records were read again from the stored offsets)
 */
public record KafkaIngestStats(long records, long applied, long duplicates, long rejected, long malformed,
        long failedWrites) {}
