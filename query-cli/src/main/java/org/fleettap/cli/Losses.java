package org.fleettap.cli;

import java.util.ArrayList;
import java.util.List;
import org.fleettap.proto.v1.HostLosses;

/** What a host lost over a queried range, in words: results never hide it. */
final class Losses {
    private Losses() {
    }

    /** E.g. "12 events lost (ring buffers full), 3 batches dropped by its spool"; empty when nothing was lost. */
    static String describe(HostLosses l) {
        List<String> parts = new ArrayList<>();
        if (l.getLosses().getRecordsLost() > 0) {
            parts.add(Long.toUnsignedString(l.getLosses().getRecordsLost()) + " events lost (ring buffers full)");
        }
        if (l.getLosses().getEventsDropped() > 0) {
            parts.add(Long.toUnsignedString(l.getLosses().getEventsDropped()) + " events dropped by the agent");
        }
        if (l.getSpoolDroppedBatches() > 0) {
            parts.add(Long.toUnsignedString(l.getSpoolDroppedBatches()) + " batches dropped by its spool");
        }
        // The spool's drops leave gaps in the batch numbers; gaps beyond them are batches lost another way.
        if (Long.compareUnsigned(l.getMissingBatches(), l.getSpoolDroppedBatches()) > 0) {
            parts.add(Long.toUnsignedString(l.getMissingBatches() - l.getSpoolDroppedBatches())
                    + " batches missing (rejected by the collector or lost)");
        }
        return String.join(", ", parts);
    }
}
