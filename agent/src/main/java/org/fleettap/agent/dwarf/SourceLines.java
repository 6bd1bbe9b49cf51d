package org.fleettap.agent.dwarf;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.LongPredicate;
import java.util.regex.Pattern;

/**
 * Resolves source lines ({@code FUNC@FILE:LINE}) to the statement addresses a probe goes on, as
 * {@code .statement("*@file:LINE")} does in SystemTap.
 *
 * <p>The rule: within each sequence, consecutive rows of the same file and line form one <em>line entry</em> (any
 * other row, or the end of the sequence, ends it). Each entry of the requested line contributes one address: that of
 * its first {@code is_stmt} row; entries without an {@code is_stmt} row contribute none. An address is kept only if
 * the caller's function predicate accepts it. The result is sorted by address, one row per address. So a loop
 * header that gcc splits into several blocks yields several addresses, and the non-statement rows optimised code
 * scatters inside another line's code yield none.
 */
public final class SourceLines {
    /** How many close file names an unknown-file error lists. */
    static final int MAX_CANDIDATES = 3;

    private final LineTable table;
    private final Object lock = new Object();
    private Map<String, List<LineRow>> entries;

    public SourceLines(LineTable table) {
        this.table = Objects.requireNonNull(table, "table");
    }

    /** The statements of {@code *@FILE:LINE} (a spec naming functions needs the predicate form). */
    public List<LineRow> statements(LineSpec spec) throws LineNotFoundException, DwarfFormatException {
        if (!spec.anyFunction()) {
            throw new IllegalArgumentException(spec + " names functions: pass the test for their addresses");
        }
        return statements(spec, address -> true);
    }

    /**
     * The statements of {@code spec}'s file and line whose addresses {@code inFunction} accepts (the caller's test
     * that an address lies in a function matching {@code spec.function()}), lowest address first; never empty.
     */
    public List<LineRow> statements(LineSpec spec, LongPredicate inFunction)
            throws LineNotFoundException, DwarfFormatException {
        Map<String, List<LineRow>> all = entries();
        Pattern file = filePattern(spec.file());
        List<String> matched = new ArrayList<>();
        for (String path : table.files()) {
            if (file.matcher(path).matches()) {
                matched.add(path);
            }
        }
        if (matched.isEmpty()) {
            throw new LineNotFoundException(LineNotFoundException.Kind.NO_FILE, spec, List.of(),
                    closest(spec.file(), table.files()));
        }
        TreeMap<Long, LineRow> hits = new TreeMap<>(Long::compareUnsigned);
        TreeMap<Integer, Boolean> lines = new TreeMap<>();
        for (String path : matched) {
            for (LineRow row : all.getOrDefault(path, List.of())) {
                if (!inFunction.test(row.address())) {
                    continue;
                }
                lines.put(row.line(), Boolean.TRUE);
                if (row.line() == spec.line()) {
                    hits.putIfAbsent(row.address(), row);
                }
            }
        }
        if (hits.isEmpty()) {
            List<Integer> nearest = new ArrayList<>();
            Integer below = lines.lowerKey(spec.line());
            Integer above = lines.higherKey(spec.line());
            if (below != null && below > 0) {
                nearest.add(below);
            }
            if (above != null) {
                nearest.add(above);
            }
            throw new LineNotFoundException(LineNotFoundException.Kind.NO_CODE, spec, nearest, List.of());
        }
        return List.copyOf(hits.values());
    }

    /** Whether {@code path} ends with {@code file} at a path-component boundary (globs allowed in {@code file}). */
    static boolean matches(String file, String path) {
        return filePattern(file).matcher(path).matches();
    }

    /** The statement row of each line entry, by source path, built on first use. */
    private Map<String, List<LineRow>> entries() throws DwarfFormatException {
        synchronized (lock) {
            if (entries == null) {
                Map<String, List<LineRow>> byFile = new LinkedHashMap<>();
                for (LineSequence sequence : table.sequencesInSectionOrder()) {
                    LineRow previous = null;
                    boolean open = false;
                    for (LineRow row : sequence.rows()) {
                        if (row.endSequence()) {
                            break;
                        }
                        boolean sameEntry = previous != null && previous.line() == row.line()
                                && previous.file().equals(row.file());
                        if (!sameEntry) {
                            open = true;
                        }
                        if (open && row.isStmt()) {
                            byFile.computeIfAbsent(row.file(), f -> new ArrayList<>()).add(row);
                            open = false;
                        }
                        previous = row;
                    }
                }
                Map<String, List<LineRow>> frozen = new HashMap<>();
                byFile.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
                entries = frozen;
            }
            return entries;
        }
    }

    /** A regex for paths ending in {@code file}: {@code *} and {@code ?} match within a component. */
    private static Pattern filePattern(String file) {
        StringBuilder re = new StringBuilder(file.startsWith("/") ? "" : "(?:.*/)?");
        for (int i = 0; i < file.length(); i++) {
            char c = file.charAt(i);
            if (c == '*') {
                re.append("[^/]*");
            } else if (c == '?') {
                re.append("[^/]");
            } else if (c == '[' && file.indexOf(']', i + 2) > 0) {
                int close = file.indexOf(']', i + 2);
                String set = file.substring(i + 1, close);
                re.append('[').append(set.startsWith("!") ? "^" + Pattern.quote(set.substring(1))
                        : Pattern.quote(set)).append(']');
                i = close;
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    /** The known paths whose base names are closest (by edit distance) to {@code file}'s. */
    private static List<String> closest(String file, Iterable<String> paths) {
        String want = baseName(file);
        List<String> sorted = new ArrayList<>();
        paths.forEach(sorted::add);
        sorted.sort(Comparator.<String>comparingInt(p -> distance(want, baseName(p))).thenComparing(p -> p));
        return List.copyOf(sorted.subList(0, Math.min(MAX_CANDIDATES, sorted.size())));
    }

    private static String baseName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int subst = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(subst, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
