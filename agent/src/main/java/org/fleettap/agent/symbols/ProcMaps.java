package org.fleettap.agent.symbols;

import java.util.ArrayList;
import java.util.List;

/** Parses the text of /proc/PID/maps. No I/O: the caller reads the file. */
public final class ProcMaps {
    private ProcMaps() {
    }

    /**
     * The mappings in {@code text}, in address order. A malformed line is an IllegalArgumentException naming the
     * line number.
     */
    public static List<Mapping> parse(String text) {
        List<Mapping> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : text.split("\n")) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            try {
                out.add(parseLine(line));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("maps line " + lineNo + ": cannot parse '" + line + "'", e);
            }
        }
        return out;
    }

    // 55d0c2a4e000-55d0c2a4f000 r-xp 00001000 fe:01 1234567    /usr/bin/loop
    static Mapping parseLine(String line) {
        int i = 0;
        int dash = line.indexOf('-');
        int sp1 = line.indexOf(' ', dash);
        long start = Long.parseUnsignedLong(line.substring(i, dash), 16);
        long end = Long.parseUnsignedLong(line.substring(dash + 1, sp1), 16);
        int sp2 = line.indexOf(' ', sp1 + 1);
        String perms = line.substring(sp1 + 1, sp2);
        int sp3 = line.indexOf(' ', sp2 + 1);
        long offset = Long.parseUnsignedLong(line.substring(sp2 + 1, sp3), 16);
        int sp4 = line.indexOf(' ', sp3 + 1);
        int sp5 = line.indexOf(' ', sp4 + 1);
        String inodeText = sp5 < 0 ? line.substring(sp4 + 1) : line.substring(sp4 + 1, sp5);
        long inode = Long.parseLong(inodeText.trim());
        String path = sp5 < 0 ? "" : line.substring(sp5 + 1).strip();
        return new Mapping(start, end, perms, offset, inode, path);
    }
}
