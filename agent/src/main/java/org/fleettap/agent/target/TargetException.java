package org.fleettap.agent.target;

/** A target that cannot be watched: no such process, a command that cannot start. One line for the user. */
public final class TargetException extends Exception {
    public TargetException(String message) {
        super(message);
    }

    public TargetException(String message, Throwable cause) {
        super(message, cause);
    }
}
