package org.fleettap.agent.tracefs;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One line of tracefs {@code uprobe_events} as the kernel lists it, e.g.
 * {@code p:fleettap_1234/f_entry /path:0x0000000000001139 arg1=%di}.
 *
 * @param retprobe   an {@code r:} line
 * @param group      the event's group
 * @param event      the event's name
 * @param definition everything after the name: location and fetch args
 */
record UprobeEventLine(boolean retprobe, String group, String event, String definition) {

    UprobeEventLine {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(definition, "definition");
    }

    String qualifiedName() {
        return group + "/" + event;
    }

    /** Every well-formed line of the file's text; others are skipped. */
    static List<UprobeEventLine> parseAll(String text) {
        List<UprobeEventLine> out = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.length() < 3 || line.charAt(1) != ':' || (line.charAt(0) != 'p' && line.charAt(0) != 'r')) {
                continue;
            }
            int space = line.indexOf(' ');
            String name = space < 0 ? line.substring(2) : line.substring(2, space);
            int slash = name.indexOf('/');
            if (slash <= 0 || slash == name.length() - 1) {
                continue;
            }
            out.add(new UprobeEventLine(line.charAt(0) == 'r', name.substring(0, slash), name.substring(slash + 1),
                    space < 0 ? "" : line.substring(space + 1).strip()));
        }
        return out;
    }
}
