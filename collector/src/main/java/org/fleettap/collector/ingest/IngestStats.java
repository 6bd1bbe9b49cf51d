package org.fleettap.collector.ingest;

/**
 * What an ingest path did since it started.
 *
 * @param applied batches applied
 * @param duplicates batches applied before (resends); nothing changed
 * @param rejected batches refused for good (malformed, over a limit)
 * @param failed batches whose store write failed (not applied, not acknowledged: their senders resend them)
 */
public record IngestStats(long applied, long duplicates, long rejected, long failed) {}
