package org.fleettap.collector.store;

/**
 * Where one (host, session) stands: the highest sequence applied (0 before the first batch) and the
 * losses summed over its batches.
 */
record AppliedState(long sequence, Losses losses) {
    static final AppliedState NONE = new AppliedState(0, Losses.NONE);

    /** The state after applying batch {@code seq} (above {@link #sequence}) with these losses. */
    AppliedState next(long seq, long recordsLost, long eventsDropped, long spoolDropped) {
        long missing = seq - sequence - 1;
        return new AppliedState(seq, new Losses(
                losses.recordsLost() + recordsLost,
                losses.eventsDropped() + eventsDropped,
                losses.spoolDroppedBatches() + spoolDropped,
                losses.missingBatches() + missing));
    }
}
