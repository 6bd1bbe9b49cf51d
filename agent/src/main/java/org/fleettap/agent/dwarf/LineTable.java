package org.fleettap.agent.dwarf;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The DWARF line tables of one ELF file: every unit of {@code .debug_line}, read on first use. Answers which source
 * line an address belongs to and hands {@link SourceLines} the rows of a file. Thread-safe; reads no files.
 */
public final class LineTable {
    private final Object lock = new Object();
    private final Source source;
    private final Map<Long, String> compDirs;
    private Index index;
    private DwarfFormatException failure;

    /** Where the section bytes come from: an ELF's sections, or bytes a test built. */
    private interface Source {
        Optional<ByteBuffer> debugLine() throws DwarfFormatException;

        LineStrings strings() throws DwarfFormatException;
    }

    private LineTable(Source source, Map<Long, String> compDirs) {
        this.source = source;
        this.compDirs = Map.copyOf(compDirs);
    }

    /** The line tables of {@code sections}' ELF file; nothing is read until the first query. */
    public static LineTable of(DwarfSections sections) {
        return of(sections, Map.of());
    }

    /**
     * As {@link #of(DwarfSections)}, with the compilation directory (DW_AT_comp_dir) of each unit by its offset in
     * {@code .debug_line} (DW_AT_stmt_list). DWARF 2-4 tables need it for absolute paths; DWARF 5 tables name it.
     */
    public static LineTable of(DwarfSections sections, Map<Long, String> compDirs) {
        return new LineTable(new Source() {
            @Override
            public Optional<ByteBuffer> debugLine() throws DwarfFormatException {
                return sections.section(".debug_line");
            }

            @Override
            public LineStrings strings() throws DwarfFormatException {
                return LineStrings.of(sections);
            }
        }, compDirs);
    }

    /** The line tables in the bytes of a {@code .debug_line} section, with its string sections. */
    static LineTable of(ByteBuffer debugLine, LineStrings strings, Map<Long, String> compDirs) {
        ByteBuffer bytes = debugLine.duplicate();
        return new LineTable(new Source() {
            @Override
            public Optional<ByteBuffer> debugLine() {
                return Optional.of(bytes.duplicate());
            }

            @Override
            public LineStrings strings() {
                return strings;
            }
        }, compDirs);
    }

    /** Every row of every unit, in section order (as {@code readelf --debug-dump=decodedline} lists them). */
    public List<LineRow> rows() throws DwarfFormatException {
        return index().rows;
    }

    /** The source line of {@code address}, as addr2line finds it; empty where no sequence covers it. */
    public Optional<LineRow> lookup(long address) throws DwarfFormatException {
        Index ix = index();
        List<LineSequence> seqs = ix.sequences;
        int lo = 0;
        int hi = seqs.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(seqs.get(mid).low(), address) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (int i = lo - 1; i >= 0 && Long.compareUnsigned(ix.maxHigh[i], address) > 0; i--) {
            if (seqs.get(i).contains(address)) {
                return Optional.of(seqs.get(i).rowFor(address));
            }
        }
        return Optional.empty();
    }

    /** The paths of the source files that have rows, sorted. */
    public SortedSet<String> files() throws DwarfFormatException {
        return index().files;
    }

    /** The sequences in section order, for {@link SourceLines}. */
    List<LineSequence> sequencesInSectionOrder() throws DwarfFormatException {
        return index().inSectionOrder;
    }

    private Index index() throws DwarfFormatException {
        synchronized (lock) {
            if (index == null && failure == null) {
                try {
                    index = build();
                } catch (DwarfFormatException e) {
                    failure = e;
                }
            }
            if (failure != null) {
                throw new DwarfFormatException(failure.getMessage(), failure);
            }
            return index;
        }
    }

    private Index build() throws DwarfFormatException {
        Optional<ByteBuffer> section = source.debugLine();
        if (section.isEmpty()) {
            return new Index(List.of(), List.of());
        }
        LineStrings strings = source.strings();
        DwarfReader r = new DwarfReader(".debug_line", section.get());
        List<LineRow> rows = new ArrayList<>();
        List<LineSequence> sequences = new ArrayList<>();
        while (r.hasRemaining()) {
            long offset = r.position();
            LineProgram program = LineProgram.read(r, strings, Optional.ofNullable(compDirs.get(offset)));
            List<LineRow> unitRows = program.rows();
            rows.addAll(unitRows);
            int start = 0;
            for (int i = 0; i < unitRows.size(); i++) {
                if (unitRows.get(i).endSequence()) {
                    sequences.add(new LineSequence(unitRows.subList(start, i + 1)));
                    start = i + 1;
                }
            }
        }
        return new Index(rows, sequences);
    }

    /** What the queries search, built once. */
    private static final class Index {
        final List<LineRow> rows;
        final List<LineSequence> inSectionOrder;
        /** Well-formed sequences by start address. */
        final List<LineSequence> sequences;
        /** maxHigh[i]: the largest end address of sequences[0..i], to stop a backward scan early. */
        final long[] maxHigh;
        final SortedSet<String> files;

        Index(List<LineRow> rows, List<LineSequence> inSectionOrder) {
            this.rows = List.copyOf(rows);
            this.inSectionOrder = List.copyOf(inSectionOrder);
            List<LineSequence> sorted = new ArrayList<>();
            for (LineSequence s : inSectionOrder) {
                if (s.isOrdered()) {
                    sorted.add(s);
                }
            }
            sorted.sort(Comparator.comparing(LineSequence::low, Long::compareUnsigned));
            this.sequences = List.copyOf(sorted);
            this.maxHigh = new long[sorted.size()];
            long max = 0;
            for (int i = 0; i < maxHigh.length; i++) {
                max = Long.compareUnsigned(sorted.get(i).high(), max) > 0 ? sorted.get(i).high() : max;
                maxHigh[i] = max;
            }
            TreeSet<String> names = new TreeSet<>();
            for (LineRow row : rows) {
                if (!row.endSequence()) {
                    names.add(row.file());
                }
            }
            this.files = Collections.unmodifiableSortedSet(names);
        }
    }
}
