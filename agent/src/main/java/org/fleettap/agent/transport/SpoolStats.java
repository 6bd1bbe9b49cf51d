package org.fleettap.agent.transport;

/**
 * Where a {@link Spool} stands.
 *
 * @param batches batches in the spool not yet acknowledged (including those sent and awaiting an ack)
 * @param bytes bytes of the spool's segment files
 * @param droppedBatches batches dropped since the spool was opened: the oldest, to stay within the
 *     bound; batches that could not be written or read back; batches larger than the whole bound;
 *     batches found damaged at open whose session is known (see {@link Spool})
 * @param unreportedDrops drops (of the spool, or of a transport's full queue) not yet carried to the
 *     collector by a later batch of the same (host, session); kept across restarts
 * @param corruptRecords damaged regions found in segment files (each run of damaged bytes between
 *     intact records counts once), at open or when a record was read back
 * @param truncatedRecords records cut short at the end of a segment file (a crash during a write)
 * @param unreadableSegments files named like segments that are not (bad header); deleted at open
 */
public record SpoolStats(
        long batches,
        long bytes,
        long droppedBatches,
        long unreportedDrops,
        long corruptRecords,
        long truncatedRecords,
        long unreadableSegments) {}
