package org.fleettap.agent.tracefs;

import java.io.IOException;
import java.util.Objects;

/**
 * A uprobe event defined in tracefs, live until {@link #close()} removes it. Attach to it with a perf
 * {@code PERF_TYPE_TRACEPOINT} event whose config is {@link #id()}; decode its raw samples with {@link #format()}.
 */
public final class DynamicUprobe implements AutoCloseable {
    private final UprobeEvents events;
    private final UprobeEventSpec spec;
    private final long id;
    private final TracepointFormat format;
    private final Object lock = new Object();
    private boolean removed; // guarded by lock

    DynamicUprobe(UprobeEvents events, UprobeEventSpec spec, long id, TracepointFormat format) {
        this.events = Objects.requireNonNull(events, "events");
        this.spec = Objects.requireNonNull(spec, "spec");
        this.id = id;
        this.format = Objects.requireNonNull(format, "format");
    }

    public UprobeEventSpec spec() {
        return spec;
    }

    /** The event id (tracefs {@code events/GROUP/EVENT/id}). */
    public long id() {
        return id;
    }

    /** The raw record layout, fetch args included as fields named after them. */
    public TracepointFormat format() {
        return format;
    }

    /**
     * Removes the event. Idempotent once it succeeds; while a perf event is still open on the event the kernel
     * refuses, which is retried briefly and then reported, and a later call tries again.
     */
    @Override
    public void close() throws IOException {
        synchronized (lock) {
            if (removed) {
                return;
            }
            events.remove(spec.qualifiedName());
            removed = true;
        }
    }

    @Override
    public String toString() {
        return "uprobe event " + spec.qualifiedName() + " (id " + id + ") on " + spec.location();
    }
}
