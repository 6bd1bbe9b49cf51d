package org.fleettap.collector.auth;

import java.util.Objects;
import java.util.Optional;

/**
 * Who makes a call, as the access checks established it: an agent (by its certificate) or a user (by certificate
 * and token). The services read it from the call's context ({@link Caller}) to record who started a session and to
 * hold a bound agent to its own host.
 *
 * @param name the certificate's CN for a user or a bound agent; {@code *} for the fleet-wide agent certificate;
 *     {@code anonymous} without authentication
 * @param kind agent or user
 * @param role the user's role; empty for agents
 * @param host the only host id the caller may act as, or {@link #ANY_HOST}
 */
public record Principal(String name, Kind kind, Optional<Role> role, String host) {
    /** {@link #host} of a caller that may act as any host. */
    public static final String ANY_HOST = "*";
    /** Every caller of a collector run without TLS and tokens (--insecure). */
    public static final Principal ANONYMOUS = new Principal("anonymous", Kind.USER, Optional.of(Role.ADMIN), ANY_HOST);

    /** The two kinds of certificate subject (OU) the collector accepts. */
    public enum Kind {
        AGENT, USER
    }

    public Principal {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(host, "host");
        if (kind == Kind.USER && role.isEmpty()) {
            throw new IllegalArgumentException("user " + name + " has no role");
        }
    }

    /** An agent with certificate subject CN {@code cn}: bound to host {@code cn} unless it is {@code *}. */
    public static Principal agent(String cn) {
        return new Principal(cn, Kind.AGENT, Optional.empty(), cn);
    }

    public static Principal user(String name, Role role) {
        return new Principal(name, Kind.USER, Optional.of(role), ANY_HOST);
    }

    /** True when this caller may act as {@code hostId} (the ingest path asks for every batch). */
    public boolean mayActAs(String hostId) {
        return ANY_HOST.equals(host) || host.equals(hostId);
    }

    /** For messages and the audit log: {@code alice}, {@code agent h1}, {@code agent *}. */
    public String describe() {
        return kind == Kind.AGENT ? "agent " + name : name;
    }
}
