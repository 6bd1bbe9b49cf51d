package org.fleettap.aggregate;

/**
 * A serialized aggregate that cannot be read: its parts contradict each other or this reader's
 * format. The message says which part and how, in one line, for the caller to prefix with where the
 * aggregate came from (batch, statistic, key).
 */
public final class InvalidAggregateException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidAggregateException(String message) {
        super(message);
    }
}
