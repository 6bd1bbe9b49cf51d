package org.fleettap.agent.probe;

import java.util.Objects;
import org.fleettap.agent.tracefs.FetchArg;
import org.fleettap.agent.tracefs.FetchLocation;
import org.fleettap.agent.tracefs.FetchType;

/**
 * How a probe reads a value in the kernel, at the probe hit: fetch {@code location} as {@code type}, then add
 * {@code addend} (a member's offset for {@code &$p->member}, an address's constant part). The script's value is
 * {@code fetched + addend}. Reading memory at that value is again a kernel fetch: {@link #load}.
 */
public record TargetAccess(FetchLocation location, FetchType type, long addend) {

    public TargetAccess {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(type, "type");
        if (type == FetchType.STRING) {
            throw new IllegalArgumentException("a target access is a number; strings are loads");
        }
    }

    /** The same value plus {@code k}. */
    public TargetAccess plus(long k) {
        return new TargetAccess(location, type, addend + k);
    }

    /**
     * Memory at this value read as {@code as} (a string with {@link FetchType#STRING}): {@code +addend(location)}.
     *
     * @throws ProbeException when this value is narrower than a pointer (it cannot be an address)
     */
    public FetchLocation load() throws ProbeException {
        if (type.size() != 8) {
            throw new ProbeException("a " + type.size() * 8 + "-bit value is not an address");
        }
        return FetchLocation.deref(addend, location);
    }

    /** The fetch argument that records the fetched part under {@code name}. */
    public FetchArg fetchArg(String name) {
        return FetchArg.of(name, location, type);
    }
}
