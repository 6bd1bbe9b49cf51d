package org.fleettap.collector.auth;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Objects;

/**
 * The {@link Principal} of the call being served, as {@link AccessControl} put it into the gRPC {@link Context}, with
 * the counters its refusals go to. Services read it with {@link #current()} on the call's thread (for a stream: when
 * the call starts) and keep it for the call.
 *
 * <p>A service served without {@link AccessControl} (a local store, tests of one service) sees {@link #UNCHECKED}:
 * the anonymous admin, as in insecure mode.
 */
public final class Caller {
    static final Context.Key<Caller> KEY = Context.key("fleettap-caller");
    /** Who calls when no access checks run. */
    public static final Caller UNCHECKED = new Caller(Principal.ANONYMOUS, true, new Refusals());

    private final Principal principal;
    private final boolean insecure;
    private final Refusals refusals;

    Caller(Principal principal, boolean insecure, Refusals refusals) {
        this.principal = Objects.requireNonNull(principal, "principal");
        this.insecure = insecure;
        this.refusals = Objects.requireNonNull(refusals, "refusals");
    }

    /** The caller of the call this thread serves. */
    public static Caller current() {
        Caller c = KEY.get();
        return c == null ? UNCHECKED : c;
    }

    public Principal principal() {
        return principal;
    }

    /** True when the collector checks nobody (--insecure): the principal is the anonymous admin. */
    public boolean insecure() {
        return insecure;
    }

    /** True when this caller may act as {@code hostId} ({@link Principal#mayActAs}). */
    public boolean mayActAs(String hostId) {
        return principal.mayActAs(hostId);
    }

    /**
     * The description of a refusal of {@code what} for {@code hostId} by a bound agent, counted for {@code service}.
     */
    public String refuseHost(String service, String what, String hostId) {
        String description = "the certificate of agent " + principal.name() + " may not " + what + " for host '"
                + hostId + "' (it is bound to host " + principal.name() + ")";
        refusals.refused(service, Refusals.Reason.WRONG_HOST, description);
        return description;
    }

    /**
     * Throws PERMISSION_DENIED (counted for {@code service}) unless this caller may act as {@code hostId}.
     *
     * @param what what the call does, for the message: "register", "send heartbeats"
     */
    public void requireHost(String service, String what, String hostId) throws StatusRuntimeException {
        if (!mayActAs(hostId)) {
            throw Status.PERMISSION_DENIED.withDescription(refuseHost(service, what, hostId)).asRuntimeException();
        }
    }
}
