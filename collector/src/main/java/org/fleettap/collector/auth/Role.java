package org.fleettap.collector.auth;

import java.util.Locale;
import java.util.Optional;

/**
 * What a user may do. Roles nest, so one comparison decides a call: a viewer queries, an operator also starts and
 * stops sessions, an admin also manages agents and reads the audit log and the collector's counts.
 */
public enum Role {
    VIEWER, OPERATOR, ADMIN;

    /** True when this role includes {@code least}. */
    public boolean atLeast(Role least) {
        return compareTo(least) >= 0;
    }

    /** As written in tokens.yaml and shown to people: {@code viewer}, {@code operator}, {@code admin}. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role named {@code word} (as {@link #word()} writes it), empty for anything else. */
    public static Optional<Role> of(String word) {
        for (Role r : values()) {
            if (r.word().equals(word)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
