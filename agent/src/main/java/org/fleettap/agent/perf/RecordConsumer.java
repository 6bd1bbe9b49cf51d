package org.fleettap.agent.perf;

/** Receives perf records; the view is only valid during the call (its memory is reused right after). */
@FunctionalInterface
public interface RecordConsumer {
    /** Handles one record. */
    void accept(PerfRecord record);
}
