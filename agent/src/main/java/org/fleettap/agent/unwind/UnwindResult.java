package org.fleettap.agent.unwind;

import java.util.List;
import java.util.Objects;

/**
 * The call stack of one sample: {@code frames.get(0)} is the sampled ip, then the return addresses outwards (run-time
 * addresses); why the walk ended, and a one-line detail for anything but {@link StopReason#END_OF_STACK}.
 */
public record UnwindResult(List<Long> frames, StopReason stop, String detail) {
    public UnwindResult {
        frames = List.copyOf(frames);
        Objects.requireNonNull(stop, "stop");
        Objects.requireNonNull(detail, "detail");
    }

    /** Whether the walk reached the outermost frame. */
    public boolean complete() {
        return stop == StopReason.END_OF_STACK;
    }
}
