package org.fleettap.agent.transport;

import java.util.concurrent.atomic.AtomicLong;

/** The counts behind {@link TransportStats}, written by a transport's threads and read by anyone. */
final class Counters {
    final AtomicLong submitted = new AtomicLong();
    final AtomicLong intakeDropped = new AtomicLong();
    final AtomicLong spooled = new AtomicLong();
    final AtomicLong sent = new AtomicLong();
    final AtomicLong applied = new AtomicLong();
    final AtomicLong duplicates = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    final AtomicLong failures = new AtomicLong();

    TransportStats snapshot(SpoolStats spool) {
        return new TransportStats(submitted.get(), intakeDropped.get(), spooled.get(), sent.get(), applied.get(),
                duplicates.get(), rejected.get(), failures.get(), spool);
    }
}
