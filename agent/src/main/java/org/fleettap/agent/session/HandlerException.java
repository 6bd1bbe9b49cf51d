package org.fleettap.agent.session;

/** A run-time error in a probe handler (division by zero, a full map, ...): the session reports it and goes on. */
public final class HandlerException extends Exception {
    public HandlerException(String message) {
        super(message);
    }
}
