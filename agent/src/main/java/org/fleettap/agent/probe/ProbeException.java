package org.fleettap.agent.probe;

/** A probe that cannot be resolved or attached; the message is one line a user can act on. */
public class ProbeException extends Exception {
    public ProbeException(String message) {
        super(message);
    }

    public ProbeException(String message, Throwable cause) {
        super(message, cause);
    }
}
