package org.fleettap.agent.dwarf;

import java.util.List;
import org.fleettap.agent.elf.ElfFormatException;

/**
 * A source line that names no code: the file is unknown ({@link #candidates()} lists the known files that look
 * closest) or the line has none ({@link #nearestLines()} lists the closest lines before and after that do).
 */
public final class LineNotFoundException extends Exception {
    /** Why the line resolves to nothing. */
    public enum Kind {
        /** No source file in the line tables matches the spec's file. */
        NO_FILE,
        /** The file is known but no statement of the line lies in the accepted functions. */
        NO_CODE
    }

    private final Kind kind;
    private final LineSpec spec;
    private final List<Integer> nearestLines;
    private final List<String> candidates;

    LineNotFoundException(Kind kind, LineSpec spec, List<Integer> nearestLines, List<String> candidates) {
        super(message(kind, spec, nearestLines, candidates));
        this.kind = kind;
        this.spec = spec;
        this.nearestLines = List.copyOf(nearestLines);
        this.candidates = List.copyOf(candidates);
    }

    public Kind kind() {
        return kind;
    }

    public LineSpec spec() {
        return spec;
    }

    /** For {@link Kind#NO_CODE}: the nearest line with code below, then above, the requested one (where any). */
    public List<Integer> nearestLines() {
        return nearestLines;
    }

    /** For {@link Kind#NO_FILE}: the known source paths closest to the requested file, closest first. */
    public List<String> candidates() {
        return candidates;
    }

    private static String message(Kind kind, LineSpec spec, List<Integer> nearest, List<String> candidates) {
        String where = (spec.anyFunction() ? "" : spec.function() + "@") + spec.file() + ":" + spec.line();
        if (kind == Kind.NO_FILE) {
            return "no source file matches " + spec.file()
                    + (candidates.isEmpty() ? "; there is no line information"
                            : "; closest known files: " + String.join(", ",
                                    candidates.stream().map(ElfFormatException::printable).toList()));
        }
        if (nearest.isEmpty()) {
            return "no code at " + where + "; " + (spec.anyFunction() ? spec.file()
                    : spec.function() + " in " + spec.file()) + " has no lines with code";
        }
        StringBuilder s = new StringBuilder("no code at ").append(where).append("; nearest line")
                .append(nearest.size() > 1 ? "s" : "").append(" with code: ");
        for (int i = 0; i < nearest.size(); i++) {
            s.append(i > 0 ? ", " : "").append(nearest.get(i));
        }
        return s.toString();
    }
}
