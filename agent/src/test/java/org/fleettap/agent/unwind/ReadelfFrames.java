package org.fleettap.agent.unwind;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The CFI tables as {@code readelf --debug-dump=frames-interp} prints them: per section, per FDE, rows of strings. */
final class ReadelfFrames {
    /** One row: LOC, the CFA column, and column name → rule text ("c-8", "u", "exp", "r3"). */
    record Row(long loc, String cfa, Map<String, String> columns) {
    }

    /** One FDE: offset, its CIE's offset, [begin, end), and the rows readelf printed (none if it had no rows). */
    record Fde(int offset, int cie, long begin, long end, List<Row> rows) {
    }

    private ReadelfFrames() {
    }

    /** The FDEs of section {@code section} (".eh_frame" or ".debug_frame") of {@code binary}. */
    static List<Fde> fdes(Path binary, String section) {
        String out = readelf(binary);
        List<Fde> fdes = new ArrayList<>();
        boolean inSection = false;
        Fde current = null;
        List<String> columns = List.of();
        for (String line : out.split("\n")) {
            if (line.startsWith("Contents of the ")) {
                inSection = line.startsWith("Contents of the " + section + " section"); // ... (loaded from ...):
                current = null;
                continue;
            }
            if (!inSection || line.isBlank()) {
                continue;
            }
            String[] t = tokens(line);
            if (t.length >= 6 && t[3].equals("FDE")) {
                String[] pc = t[5].substring("pc=".length()).split("\\.\\.");
                current = new Fde(Integer.parseUnsignedInt(t[0], 16),
                        Integer.parseUnsignedInt(t[4].substring("cie=".length()), 16),
                        Long.parseUnsignedLong(pc[0], 16), Long.parseUnsignedLong(pc[1], 16), new ArrayList<>());
                fdes.add(current);
            } else if ((t.length >= 4 && t[3].equals("CIE")) || (t.length >= 2 && t[1].equals("ZERO"))) {
                current = null;
            } else if (t[0].equals("LOC")) {
                columns = List.of(t).subList(2, t.length);
            } else if (current != null && t[0].matches("[0-9a-f]{8,16}")) {
                Map<String, String> cols = new TreeMap<>();
                for (int i = 0; i < columns.size() && i + 2 < t.length; i++) {
                    cols.put(columns.get(i), t[i + 2]);
                }
                current.rows().add(new Row(Long.parseUnsignedLong(t[0], 16), t[1], cols));
            }
        }
        return fdes;
    }

    /** readelf's output; it exits 1 on libc (it cannot follow the debug link) after printing all frames. */
    private static String readelf(Path binary) {
        try {
            Process p = new ProcessBuilder("readelf", "--debug-dump=frames-interp", binary.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            if (!out.contains("Contents of the ")) {
                throw new IllegalStateException("readelf printed no frames for " + binary);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Whitespace-separated tokens, "r3 (rbx)" kept as the one token "r3". */
    private static String[] tokens(String line) {
        String[] raw = line.trim().split("\\s+");
        List<String> out = new ArrayList<>();
        for (String s : raw) {
            if (s.startsWith("(") && s.endsWith(")") && !out.isEmpty()) {
                continue;
            }
            out.add(s);
        }
        return out.toArray(String[]::new);
    }

    /** Our CFA rule as readelf prints it. */
    static String cfa(UnwindRow row) {
        if (row.cfa().isEmpty()) {
            return "u";
        }
        if (row.cfa().get() instanceof CfaRule.RegisterOffset ro) {
            return String.format("%s%+d", X86DwarfRegs.name(ro.register()), ro.offset());
        }
        return "exp";
    }

    /** Our rule of {@code reg} as readelf prints it. */
    static String rule(UnwindRow row, int reg) {
        RegisterRule r = row.rules().get(reg);
        if (r == null || r instanceof RegisterRule.Undefined) {
            return "u";
        } else if (r instanceof RegisterRule.SameValue) {
            return "s";
        } else if (r instanceof RegisterRule.Offset o) {
            return String.format("c%+d", o.offset());
        } else if (r instanceof RegisterRule.ValOffset v) {
            return String.format("v%+d", v.offset());
        } else if (r instanceof RegisterRule.InRegister in) {
            return "r" + in.register();
        } else if (r instanceof RegisterRule.Expression) {
            return "exp";
        }
        return "vexp";
    }
}
