package org.fleettap.collector.store;

/**
 * Counts of batches since the store was opened.
 *
 * @param applied batches applied
 * @param duplicates batches ignored as applied before
 * @param rejected batches rejected as malformed
 */
public record StoreStats(long applied, long duplicates, long rejected) {}
