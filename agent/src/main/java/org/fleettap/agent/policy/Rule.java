package org.fleettap.agent.policy;

import java.util.Objects;

/**
 * One rule of a policy file and where it was written ({@code file:line:col} of its value), so that a denial can
 * name the rule that denied.
 *
 * @param name  the rule's key in the file, e.g. {@code binaries}
 * @param value what the rule says
 * @param where {@code file:line:col} of the value
 */
public record Rule<T>(String name, T value, String where) {
    public Rule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(where, "where");
    }

    /** {@code policy: WHERE: MESSAGE}: the one line a denial or a stop reports. */
    String deny(String message) {
        return "policy: " + where + ": " + message;
    }
}
