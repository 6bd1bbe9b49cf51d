package org.fleettap.collector.auth;

import java.util.Objects;
import java.util.Optional;

/**
 * Whether a collector checks its callers, and against which users: with {@link #tokens} present, every call must come
 * over TLS with a client certificate (agents, users) and, for user methods, a token of the certificate's user; without,
 * the collector runs insecure (--insecure: plaintext, everyone is the anonymous admin).
 */
public record AccessSettings(Optional<Tokens> tokens) {
    public AccessSettings {
        Objects.requireNonNull(tokens, "tokens");
    }

    /** Nobody is checked. */
    public static AccessSettings insecure() {
        return new AccessSettings(Optional.empty());
    }

    /** Certificates are checked, and tokens against {@code tokens}. */
    public static AccessSettings checked(Tokens tokens) {
        return new AccessSettings(Optional.of(tokens));
    }

    public boolean isInsecure() {
        return tokens.isEmpty();
    }
}
