package org.fleettap.agent.tracefs;

import java.util.Set;

/** The kernel's rules for names in uprobe_events definitions. */
final class UprobeNames {
    /** MAX_EVENT_NAME_LEN: group and event names must be shorter. */
    static final int MAX_EVENT_NAME_LEN = 64;

    /** Field names every probe event already has; arguments may not reuse them. */
    static final Set<String> RESERVED_ARG_NAMES = Set.of("common_type", "common_flags", "common_preempt_count",
            "common_pid", "common_tgid", "common_padding", "__probe_ip", "__probe_ret_ip", "__probe_func");

    private UprobeNames() {
    }

    /** Whether {@code s} matches {@code [A-Za-z_][A-Za-z0-9_]*}. */
    static boolean isGood(String s) {
        if (s == null || s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0'
                    && c <= '9');
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Throws when {@code name} is not a valid {@code what} name. */
    static String check(String what, String name) {
        if (!isGood(name)) {
            throw new IllegalArgumentException("invalid " + what + " name '" + name
                    + "': must match [A-Za-z_][A-Za-z0-9_]*");
        }
        return name;
    }

    /** Throws when {@code name} is not a valid group or event name (which also have a length limit). */
    static String checkEvent(String what, String name) {
        check(what, name);
        if (name.length() >= MAX_EVENT_NAME_LEN) {
            throw new IllegalArgumentException("invalid " + what + " name '" + name + "': longer than "
                    + (MAX_EVENT_NAME_LEN - 1) + " characters");
        }
        return name;
    }
}
