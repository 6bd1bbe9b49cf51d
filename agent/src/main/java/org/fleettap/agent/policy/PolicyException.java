package org.fleettap.agent.policy;

/** A policy file that cannot be used; the message is one line naming {@code file:line:col} and what is wrong. */
public final class PolicyException extends Exception {
    private static final long serialVersionUID = 1L;

    public PolicyException(String message) {
        super(message);
    }
}
