package org.fleettap.agent.elf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fleettap.agent.testing.Fixtures;

/** The oracle: runs binutils (readelf, nm) on a file and parses what they print into plain values. */
final class Readelf {
    /** The C library the oracle tests also read. */
    static final Path LIBC = Path.of("/usr/lib/x86_64-linux-gnu/libc.so.6");

    private static final Pattern SYMBOL_TABLE = Pattern.compile("^Symbol table '([^']+)' contains (\\d+) entr.*");
    private static final Pattern SYMBOL = Pattern.compile(
            "^\\s*(\\d+): ([0-9a-f]+)\\s+(0x[0-9a-f]+|\\d+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)(?: (.*))?$");
    private static final Pattern VERSION_SUFFIX = Pattern.compile("^(.*?)(@@?[^@ ]+)?( \\(\\d+\\))?$");
    private static final Pattern SECTION = Pattern.compile("^\\s*\\[\\s*(\\d+)\\]\\s+(\\S*)\\s+(\\S+)\\s+([0-9a-f]+)"
            + "\\s+([0-9a-f]+)\\s+([0-9a-f]+)\\s+([0-9a-f]+)\\s+(\\S*)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)$");
    private static final Pattern SEGMENT = Pattern.compile("^\\s+(\\S+)\\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+)"
            + " 0x([0-9a-f]+) 0x([0-9a-f]+) ([R ][W ][E ]) 0x([0-9a-f]+)$");
    private static final Pattern LOCATION = Pattern.compile(
            "^\\s*Location: 0x([0-9a-f]+), Base: 0x([0-9a-f]+), Semaphore: 0x([0-9a-f]+)$");
    private static final Pattern NM = Pattern.compile("^([0-9a-f]{16}) (\\S) (.+)$");

    /** One line of {@code readelf -sW}; {@code name} without the version readelf appends to .dynsym names. */
    record SymbolLine(String table, int num, long value, long size, String type, String bind, String vis,
            String ndx, String name) {
    }

    /** One line of {@code readelf -SW}. */
    record SectionLine(int index, String name, String type, long addr, long offset, long size, long entsize,
            String flags, int link, int info, long align) {
    }

    /** One line of {@code readelf -lW}; {@code flags} as printed ("R E"). */
    record SegmentLine(String type, long offset, long vaddr, long paddr, long filesz, long memsz, String flags,
            long align) {
    }

    /** One stapsdt note of {@code readelf -n}. */
    record SdtLine(String provider, String name, long location, long base, long semaphore, String arguments) {
    }

    /** One line of {@code nm}: address, letter and name (version stripped). */
    record NmLine(long value, char letter, String name) {
    }

    private Readelf() {
    }

    static List<SymbolLine> symbols(Path file) {
        List<SymbolLine> out = new ArrayList<>();
        String table = null;
        for (String line : run("readelf", "-sW", "--wide", file.toString()).split("\n")) {
            Matcher header = SYMBOL_TABLE.matcher(line);
            if (header.matches()) {
                table = header.group(1);
                continue;
            }
            Matcher m = SYMBOL.matcher(line);
            if (table == null || !m.matches()) {
                continue;
            }
            String name = m.group(8) == null ? "" : m.group(8);
            if (table.equals(".dynsym")) {
                Matcher v = VERSION_SUFFIX.matcher(name);
                if (v.matches()) {
                    name = v.group(1);
                }
            }
            String size = m.group(3);
            out.add(new SymbolLine(table, Integer.parseInt(m.group(1)), Long.parseUnsignedLong(m.group(2), 16),
                    size.startsWith("0x") ? Long.parseUnsignedLong(size.substring(2), 16) : Long.parseLong(size),
                    m.group(4), m.group(5), m.group(6), m.group(7), name));
        }
        return out;
    }

    static List<SectionLine> sections(Path file) {
        List<SectionLine> out = new ArrayList<>();
        for (String line : run("readelf", "-SW", file.toString()).split("\n")) {
            Matcher m = SECTION.matcher(line);
            if (m.matches()) {
                out.add(new SectionLine(Integer.parseInt(m.group(1)), m.group(2), m.group(3), hex(m.group(4)),
                        hex(m.group(5)), hex(m.group(6)), hex(m.group(7)), m.group(8), Integer.parseInt(m.group(9)),
                        Integer.parseInt(m.group(10)), Long.parseLong(m.group(11))));
            }
        }
        return out;
    }

    static List<SegmentLine> segments(Path file) {
        List<SegmentLine> out = new ArrayList<>();
        for (String line : run("readelf", "-lW", file.toString()).split("\n")) {
            Matcher m = SEGMENT.matcher(line);
            if (m.matches()) {
                out.add(new SegmentLine(m.group(1), hex(m.group(2)), hex(m.group(3)), hex(m.group(4)),
                        hex(m.group(5)), hex(m.group(6)), m.group(7), hex(m.group(8))));
            }
        }
        return out;
    }

    /** The "Name:   value" lines of {@code readelf -hW}. */
    static Map<String, String> header(Path file) {
        Map<String, String> out = new HashMap<>();
        for (String line : run("readelf", "-hW", file.toString()).split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                out.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
        }
        return out;
    }

    static List<SdtLine> sdtNotes(Path file) {
        List<SdtLine> out = new ArrayList<>();
        String provider = null;
        String name = null;
        long[] location = null;
        for (String line : run("readelf", "-n", file.toString()).split("\n")) {
            String trimmed = line.trim();
            Matcher loc = LOCATION.matcher(line);
            if (trimmed.startsWith("Provider: ")) {
                provider = trimmed.substring("Provider: ".length());
            } else if (trimmed.startsWith("Name: ")) {
                name = trimmed.substring("Name: ".length());
            } else if (loc.matches()) {
                location = new long[] {hex(loc.group(1)), hex(loc.group(2)), hex(loc.group(3))};
            } else if (trimmed.startsWith("Arguments:")) {
                out.add(new SdtLine(provider, name, location[0], location[1], location[2],
                        trimmed.substring("Arguments:".length()).trim()));
            }
        }
        return out;
    }

    static Optional<String> buildId(Path file) {
        for (String line : run("readelf", "-n", file.toString()).split("\n")) {
            if (line.trim().startsWith("Build ID: ")) {
                return Optional.of(line.trim().substring("Build ID: ".length()));
            }
        }
        return Optional.empty();
    }

    /** The bytes of {@code section} by virtual address, from {@code readelf -x}. */
    static Map<Long, Byte> hexDump(Path file, String section) {
        Map<Long, Byte> out = new HashMap<>();
        for (String line : run("readelf", "-x", section, file.toString()).split("\n")) {
            if (!line.startsWith("  0x")) {
                continue;
            }
            int space = line.indexOf(' ', 2);
            long address = hex(line.substring(4, space));
            String hex = line.substring(space + 1, Math.min(line.length(), space + 1 + 36)).replace(" ", "");
            for (int i = 0; i + 1 < hex.length(); i += 2) {
                out.put(address + i / 2, (byte) Integer.parseInt(hex.substring(i, i + 2), 16));
            }
        }
        return out;
    }

    /** {@code nm} (or {@code nm -D} when {@code dynamic}): defined symbols only, versions stripped. */
    static List<NmLine> nm(Path file, boolean dynamic) {
        List<NmLine> out = new ArrayList<>();
        String text = dynamic ? run("nm", "-D", file.toString()) : run("nm", file.toString());
        for (String line : text.split("\n")) {
            Matcher m = NM.matcher(line);
            if (m.matches()) {
                String name = m.group(3);
                if (dynamic) {
                    Matcher v = VERSION_SUFFIX.matcher(name);
                    if (v.matches()) {
                        name = v.group(1);
                    }
                }
                out.add(new NmLine(hex(m.group(1)), m.group(2).charAt(0), name));
            }
        }
        return out;
    }

    private static long hex(String text) {
        return Long.parseUnsignedLong(text, 16);
    }

    private static String run(String... command) {
        return Fixtures.run(command);
    }
}
