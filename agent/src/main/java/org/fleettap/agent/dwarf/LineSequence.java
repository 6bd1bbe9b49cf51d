package org.fleettap.agent.dwarf;

import java.util.List;

/**
 * One contiguous run of code in a line table: rows from a start address up to an end_sequence row, whose address
 * is just past the code. Addresses within a sequence never decrease.
 */
final class LineSequence {
    private final List<LineRow> rows;
    private final long[] addresses;

    /** {@code rows} ends with its end_sequence row. */
    LineSequence(List<LineRow> rows) {
        this.rows = List.copyOf(rows);
        this.addresses = new long[rows.size()];
        for (int i = 0; i < addresses.length; i++) {
            addresses[i] = rows.get(i).address();
        }
    }

    /** The rows, end_sequence row last. */
    List<LineRow> rows() {
        return rows;
    }

    long low() {
        return addresses[0];
    }

    /** The address just past the sequence's code. */
    long high() {
        return addresses[addresses.length - 1];
    }

    /** Whether the sequence is well-formed: non-empty code, addresses not decreasing. */
    boolean isOrdered() {
        for (int i = 1; i < addresses.length; i++) {
            if (Long.compareUnsigned(addresses[i - 1], addresses[i]) > 0) {
                return false;
            }
        }
        return Long.compareUnsigned(low(), high()) < 0;
    }

    boolean contains(long address) {
        return Long.compareUnsigned(low(), address) <= 0 && Long.compareUnsigned(address, high()) < 0;
    }

    /**
     * The row that describes {@code address} (which the sequence contains): the last row whose address is the
     * largest one not above it. Of several rows at one address the last wins, as in binutils' addr2line.
     */
    LineRow rowFor(long address) {
        int lo = 0;
        int hi = addresses.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (Long.compareUnsigned(addresses[mid], address) <= 0) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return rows.get(lo);
    }

    @Override
    public String toString() {
        return "sequence 0x" + Long.toHexString(low()) + "-0x" + Long.toHexString(high()) + " (" + rows.size()
                + " rows)";
    }
}
