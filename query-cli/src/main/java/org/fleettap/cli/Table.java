package org.fleettap.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * An aligned text table: a header row, then rows; columns two spaces apart, text left-aligned and numbers
 * right-aligned, no trailing blanks.
 */
final class Table {
    private final List<String> header;
    private final boolean[] numeric;
    private final List<List<String>> rows = new ArrayList<>();

    /** {@code numeric[i]} right-aligns column i. */
    Table(List<String> header, boolean... numeric) {
        if (numeric.length != header.size()) {
            throw new IllegalArgumentException(header.size() + " columns, " + numeric.length + " alignments");
        }
        this.header = List.copyOf(header);
        this.numeric = numeric.clone();
    }

    Table add(List<String> row) {
        if (row.size() != header.size()) {
            throw new IllegalArgumentException(header.size() + " columns, row has " + row.size());
        }
        rows.add(List.copyOf(row));
        return this;
    }

    /** In {@code format}: the aligned table, or CSV (RFC 4180: a header line, then a line per row). */
    String render(OutputFormat format) {
        return format == OutputFormat.CSV ? csv() : render();
    }

    /** RFC 4180 CSV: cells with a comma, quote, line break or blank at either end are quoted, quotes doubled. */
    String csv() {
        return csvLine(header) + csvRows();
    }

    /** The rows alone as CSV, for a stream that printed {@link #csvHeader} once. */
    String csvRows() {
        StringBuilder sb = new StringBuilder();
        for (List<String> r : rows) {
            sb.append(csvLine(r));
        }
        return sb.toString();
    }

    /** The header line alone as CSV. */
    String csvHeader() {
        return csvLine(header);
    }

    private static String csvLine(List<String> r) {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < r.size(); c++) {
            if (c > 0) {
                sb.append(',');
            }
            String cell = r.get(c);
            boolean quote = cell.indexOf(',') >= 0 || cell.indexOf('"') >= 0 || cell.indexOf('\n') >= 0
                    || cell.indexOf('\r') >= 0 || !cell.equals(cell.strip());
            sb.append(quote ? '"' + cell.replace("\"", "\"\"") + '"' : cell);
        }
        return sb.append("\r\n").toString();
    }

    String render() {
        int[] width = new int[header.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (List<String> r : all) {
            for (int c = 0; c < width.length; c++) {
                width[c] = Math.max(width[c], r.get(c).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> r : all) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < width.length; c++) {
                if (c > 0) {
                    line.append("  ");
                }
                String cell = r.get(c);
                String pad = " ".repeat(width[c] - cell.length());
                line.append(numeric[c] ? pad + cell : cell + pad);
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }
}
