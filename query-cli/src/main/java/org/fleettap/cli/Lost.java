package org.fleettap.cli;

import org.fleettap.agent.perf.RecordCounters;
import org.fleettap.agent.probe.ProbeEngine;
import org.fleettap.agent.probe.ProbeException;

/** Tells the user, on stderr, about events the kernel dropped: they are counted and shown, never hidden. */
final class Lost {
    private Lost() {
    }

    static void report(ProbeEngine engine) throws ProbeException {
        RecordCounters c = engine.counters();
        long lost = engine.lostEvents();
        if (lost > 0) {
            System.err.printf("fleettap: warning: %d events lost (ring buffers full: the reader fell behind)%n",
                    lost);
        }
        if (c.throttles() > 0) {
            System.err.printf("fleettap: warning: the kernel throttled sampling %d times (events dropped)%n",
                    c.throttles());
        }
    }
}
