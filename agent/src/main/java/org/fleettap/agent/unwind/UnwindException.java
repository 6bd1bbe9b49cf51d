package org.fleettap.agent.unwind;

import java.util.Objects;

/** One unwind step cannot go on; carries the {@link StopReason} the unwind reports. */
final class UnwindException extends Exception {
    private final StopReason reason;

    UnwindException(StopReason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    UnwindException(StopReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    StopReason reason() {
        return reason;
    }
}
