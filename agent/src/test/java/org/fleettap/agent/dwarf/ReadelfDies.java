package org.fleettap.agent.dwarf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fleettap.agent.testing.Fixtures;

/** The oracle: entries as {@code readelf --debug-dump=info} prints them, and range lists from --debug-dump=Ranges. */
final class ReadelfDies {
    private static final Pattern DIE = Pattern.compile("^\\s*<(\\d+)><([0-9a-f]+)>: Abbrev Number: (\\d+)(?: \\((\\w+)\\))?");
    private static final Pattern ATTR = Pattern.compile("^\\s*<[0-9a-f]+>\\s+(DW_AT_\\w+)\\s*: (.*)$");

    /** One entry: offset, depth, tag, attributes as printed, parent and children. */
    record Entry(long offset, int depth, String tag, Map<String, String> attrs, Entry parent, List<Entry> children) {
        String attr(String name) {
            return attrs.get(name);
        }
    }

    final Map<Long, Entry> byOffset = new LinkedHashMap<>();

    ReadelfDies(Path binary) {
        String out = Fixtures.run("readelf", "--debug-dump=info", "-wN", binary.toString());
        Entry[] stack = new Entry[256];
        Entry current = null;
        for (String line : out.split("\n")) {
            Matcher m = DIE.matcher(line);
            if (m.find()) {
                current = null;
                if (m.group(4) == null) {
                    continue; // null entry
                }
                int depth = Integer.parseInt(m.group(1));
                Entry parent = depth == 0 ? null : stack[depth - 1];
                current = new Entry(Long.parseLong(m.group(2), 16), depth, m.group(4), new LinkedHashMap<>(), parent,
                        new ArrayList<>());
                stack[depth] = current;
                if (parent != null) {
                    parent.children().add(current);
                }
                byOffset.put(current.offset(), current);
                continue;
            }
            Matcher a = ATTR.matcher(line);
            if (a.find() && current != null) {
                current.attrs().put(a.group(1), a.group(2).trim());
            }
        }
    }

    List<Entry> withTag(String tag) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : byOffset.values()) {
            if (e.tag().equals(tag)) {
                out.add(e);
            }
        }
        return out;
    }

    /** The string value of an attribute as printed: the text after "): " for indirect strings. */
    static String string(String printed) {
        if (printed == null) {
            return null;
        }
        if (printed.startsWith("(indirect") || printed.startsWith("(indexed string")) {
            return printed.substring(printed.indexOf("): ") + 3);
        }
        return printed;
    }

    /** A number as printed ("0x1149", "41", "1"), ignoring any trailing explanation. */
    static long number(String printed) {
        if (printed.startsWith("(index:")) {
            printed = printed.substring(printed.indexOf("): ") + 3); // addrx: "(index: 0x1): 0x1150"
        }
        String first = printed.split("[\\s\\t]")[0];
        return first.startsWith("0x") ? Long.parseUnsignedLong(first.substring(2), 16) : Long.parseLong(first);
    }

    /** A reference as printed ("<0x5f>"). */
    static long ref(String printed) {
        return Long.parseLong(printed.replaceAll("[<>]", "").substring(2), 16);
    }

    /** Attribute {@code name} of {@code e} or of the entries its abstract_origin/specification chain leads to. */
    String inherited(Entry e, String name) {
        for (int i = 0; i < 16 && e != null; i++) {
            if (e.attr(name) != null) {
                return e.attr(name);
            }
            String next = e.attr("DW_AT_abstract_origin");
            if (next == null) {
                next = e.attr("DW_AT_specification");
            }
            e = next == null ? null : byOffset.get(ref(next));
        }
        return null;
    }

    /** The range lists of --debug-dump=Ranges (DWARF 5 rnglists), by the offset of their first entry. */
    static Map<Long, List<AddressRange>> rangeLists(Path binary) {
        Map<Long, List<AddressRange>> out = new HashMap<>();
        List<AddressRange> current = null;
        long start = -1;
        for (String line : Fixtures.run("readelf", "--debug-dump=Ranges", "-wN", binary.toString()).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].matches("[0-9a-f]{8}")) {
                long off = Long.parseLong(f[0], 16);
                if (current == null) {
                    current = new ArrayList<>();
                    start = off;
                }
                if (line.contains("<End of list>")) {
                    out.put(start, current);
                    current = null;
                } else if (f.length == 3 && f[1].matches("[0-9a-f]{16}") && f[2].matches("[0-9a-f]{16}")) {
                    long b = Long.parseUnsignedLong(f[1], 16);
                    long e = Long.parseUnsignedLong(f[2], 16);
                    if (b != e) {
                        current.add(new AddressRange(b, e));
                    }
                }
            }
        }
        return out;
    }
}
