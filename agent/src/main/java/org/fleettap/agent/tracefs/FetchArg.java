package org.fleettap.agent.tracefs;

import java.util.Objects;
import java.util.Optional;

/**
 * One argument a uprobe event records: {@code name=FETCHARG[:TYPE]}. Without a type the kernel records a
 * machine word (x64 on x86-64), or a string for {@code $comm}.
 */
public record FetchArg(String name, FetchLocation location, Optional<FetchType> type) {

    public FetchArg {
        UprobeNames.check("fetch argument", name);
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(type, "type");
        if (location instanceof FetchLocation.Comm && type.isPresent() && type.get() != FetchType.STRING) {
            throw new IllegalArgumentException("fetch argument " + name + ": $comm only takes the string type, not "
                    + type.get().token());
        }
        if (type.isPresent() && type.get() == FetchType.STRING && !location.isMemory()
                && !(location instanceof FetchLocation.Comm)) {
            throw new IllegalArgumentException("fetch argument " + name + ": a string must be read from memory ("
                    + "e.g. +0(" + location.render() + ")), not from " + location.render());
        }
    }

    /** An argument of the kernel's default type. */
    public static FetchArg of(String name, FetchLocation location) {
        return new FetchArg(name, location, Optional.empty());
    }

    public static FetchArg of(String name, FetchLocation location, FetchType type) {
        return new FetchArg(name, location, Optional.of(type));
    }

    /**
     * Parses {@code name=FETCHARG[:TYPE]}, the form {@link #render()} produces.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static FetchArg parse(String text) {
        Objects.requireNonNull(text, "text");
        int eq = text.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("fetch argument '" + text + "' is not of the form NAME=FETCHARG[:TYPE]");
        }
        String name = text.substring(0, eq);
        String rest = text.substring(eq + 1);
        int colon = rest.lastIndexOf(':');
        try {
            if (colon < 0) {
                return of(name, FetchLocation.parse(rest));
            }
            return of(name, FetchLocation.parse(rest.substring(0, colon)),
                    FetchType.ofToken(rest.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("fetch argument '" + text + "': " + e.getMessage(), e);
        }
    }

    /** {@code name=FETCHARG[:TYPE]}. */
    public String render() {
        return name + "=" + location.render() + type.map(t -> ":" + t.token()).orElse("");
    }
}
