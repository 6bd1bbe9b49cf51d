package org.fleettap.collector.store;

/**
 * What one host lost of one session, summed over every batch applied.
 *
 * @param recordsLost records the kernel could not write (ring buffer full), as the agent reported
 * @param eventsDropped events the agent read but did not handle, as the agent reported
 * @param spoolDroppedBatches batches the agent's spool dropped, as the agent reported
 * @param missingBatches sequence numbers the collector never received (gaps in the sequence: spool
 *     drops, and batches the collector rejected)
 */
public record Losses(long recordsLost, long eventsDropped, long spoolDroppedBatches, long missingBatches) {
    public static final Losses NONE = new Losses(0, 0, 0, 0);

    public boolean isEmpty() {
        return recordsLost == 0 && eventsDropped == 0 && spoolDroppedBatches == 0 && missingBatches == 0;
    }
}
