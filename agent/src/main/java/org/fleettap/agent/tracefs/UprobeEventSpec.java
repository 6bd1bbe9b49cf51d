package org.fleettap.agent.tracefs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A dynamic uprobe event as written to tracefs {@code uprobe_events}: deterministic, no I/O. {@link
 * UprobeEvents#create} turns it into a live {@link DynamicUprobe}.
 *
 * @param group        event group (the agent's, see {@link UprobeEvents#groupFor(long)})
 * @param event        event name within the group
 * @param binary       absolute path of the executable or library
 * @param offset       file offset of the probed instruction
 * @param retprobe     a return probe ({@code r:}) rather than an entry probe ({@code p:})
 * @param refCtrOffset file offset of a USDT semaphore the kernel increments while the probe exists
 * @param args         fetch arguments, in record order
 */
public record UprobeEventSpec(String group, String event, Path binary, long offset, boolean retprobe,
                              OptionalLong refCtrOffset, List<FetchArg> args) {

    /** MAX_TRACE_ARGS. */
    static final int MAX_ARGS = 128;

    public UprobeEventSpec {
        UprobeNames.checkEvent("group", group);
        UprobeNames.checkEvent("event", event);
        Objects.requireNonNull(binary, "binary");
        String p = binary.toString();
        if (!binary.isAbsolute()) {
            throw new IllegalArgumentException("binary path '" + p + "' is not absolute");
        }
        if (p.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw new IllegalArgumentException("binary path '" + p
                    + "' contains whitespace, which uprobe_events cannot express");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("negative file offset " + offset);
        }
        Objects.requireNonNull(refCtrOffset, "refCtrOffset");
        if (refCtrOffset.isPresent() && refCtrOffset.getAsLong() < 0) {
            throw new IllegalArgumentException("negative ref_ctr_offset " + refCtrOffset.getAsLong());
        }
        args = List.copyOf(args);
        if (args.size() > MAX_ARGS) {
            throw new IllegalArgumentException(args.size() + " fetch arguments, the kernel allows " + MAX_ARGS);
        }
        Set<String> seen = new HashSet<>();
        for (FetchArg a : args) {
            if (UprobeNames.RESERVED_ARG_NAMES.contains(a.name())) {
                throw new IllegalArgumentException("fetch argument name '" + a.name()
                        + "' is reserved for the event's own fields");
            }
            if (!seen.add(a.name())) {
                throw new IllegalArgumentException("fetch argument name '" + a.name() + "' is used twice");
            }
            if (!retprobe && a.location().usesRetval()) {
                throw new IllegalArgumentException("fetch argument " + a.name()
                        + ": $retval is only available on return probes");
            }
        }
    }

    public static Builder builder(String group, String event, Path binary, long offset) {
        return new Builder(group, event, binary, offset);
    }

    /** "GROUP/EVENT". */
    public String qualifiedName() {
        return group + "/" + event;
    }

    /** {@code PATH:0xOFFSET} or {@code PATH:0xOFFSET(0xREF)}. */
    public String location() {
        String loc = binary + ":0x" + Long.toHexString(offset);
        return refCtrOffset.isPresent() ? loc + "(0x" + Long.toHexString(refCtrOffset.getAsLong()) + ")" : loc;
    }

    /** The line that defines the event: {@code p:GROUP/EVENT PATH:0xOFF args...} ({@code r:} for returns). */
    public String definition() {
        StringBuilder sb = new StringBuilder();
        sb.append(retprobe ? "r:" : "p:").append(qualifiedName()).append(' ').append(location());
        for (FetchArg a : args) {
            sb.append(' ').append(a.render());
        }
        return sb.toString();
    }

    /** The line that removes the event: {@code -:GROUP/EVENT}. */
    public String removal() {
        return "-:" + qualifiedName();
    }

    /** Builds a spec; validation happens in {@link #build()}. */
    public static final class Builder {
        private final String group;
        private final String event;
        private final Path binary;
        private final long offset;
        private boolean retprobe;
        private OptionalLong refCtrOffset = OptionalLong.empty();
        private final List<FetchArg> args = new ArrayList<>();

        private Builder(String group, String event, Path binary, long offset) {
            this.group = group;
            this.event = event;
            this.binary = binary;
            this.offset = offset;
        }

        public Builder retprobe(boolean value) {
            this.retprobe = value;
            return this;
        }

        public Builder refCtrOffset(long value) {
            this.refCtrOffset = OptionalLong.of(value);
            return this;
        }

        public Builder arg(FetchArg arg) {
            args.add(Objects.requireNonNull(arg, "arg"));
            return this;
        }

        public Builder arg(String name, FetchLocation location) {
            return arg(FetchArg.of(name, location));
        }

        public Builder arg(String name, FetchLocation location, FetchType type) {
            return arg(FetchArg.of(name, location, type));
        }

        public UprobeEventSpec build() {
            return new UprobeEventSpec(group, event, binary, offset, retprobe, refCtrOffset, args);
        }
    }
}
