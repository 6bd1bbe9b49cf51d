package org.fleettap.agent.runtime;

import java.util.List;
import java.util.Objects;

/**
 * The declaration of a global associative array: {@code global name[maxEntries]} or
 * {@code global name%[maxEntries]} (wrapping), with the key and value types the checker inferred.
 *
 * @param name the script's name, used in error messages and the end-of-session display
 * @param keyTypes one type per key column (1..9 columns, stap's limit)
 * @param valueKind what the array holds
 * @param histogram for statistic values, the histogram each keeps; {@link HistogramSpec#none()} otherwise
 * @param maxEntries the declared size, or 0 for the default {@link #DEFAULT_MAX_ENTRIES}
 * @param wrap {@code %}: when full, a new key replaces the oldest entry instead of failing
 */
public record MapDecl(
        String name, List<StapType> keyTypes, ValueKind valueKind, HistogramSpec histogram, int maxEntries, boolean wrap) {

    /**
     * MAXMAPENTRIES: SystemTap's default size of an array (runtime_defines.h and {@code man stap} both
     * say 2048).
     */
    public static final int DEFAULT_MAX_ENTRIES = 2048;
    /** Most key columns stap allows in one array. */
    public static final int MAX_KEY_COLUMNS = 9;

    /** What the array's values are. */
    public enum ValueKind {
        LONG,
        STRING,
        STAT
    }

    public MapDecl {
        Objects.requireNonNull(name, "name");
        keyTypes = List.copyOf(keyTypes);
        Objects.requireNonNull(valueKind, "valueKind");
        Objects.requireNonNull(histogram, "histogram");
        if (keyTypes.isEmpty() || keyTypes.size() > MAX_KEY_COLUMNS) {
            throw new IllegalArgumentException(name + ": arrays take 1.." + MAX_KEY_COLUMNS + " key columns, got "
                    + keyTypes.size());
        }
        if (maxEntries < 0) {
            throw new IllegalArgumentException(name + ": size must not be negative: " + maxEntries);
        }
        if (valueKind != ValueKind.STAT && histogram.kind() != HistogramSpec.Kind.NONE) {
            throw new IllegalArgumentException(name + ": only statistics keep histograms");
        }
    }

    /** An array of the default size, without histograms. */
    public static MapDecl of(String name, ValueKind valueKind, StapType... keyTypes) {
        return new MapDecl(name, List.of(keyTypes), valueKind, HistogramSpec.none(), 0, false);
    }

    public MapDecl withMaxEntries(int entries) {
        return new MapDecl(name, keyTypes, valueKind, histogram, entries, wrap);
    }

    public MapDecl withWrap(boolean wrapping) {
        return new MapDecl(name, keyTypes, valueKind, histogram, maxEntries, wrapping);
    }

    public MapDecl withHistogram(HistogramSpec spec) {
        return new MapDecl(name, keyTypes, valueKind, spec, maxEntries, wrap);
    }

    /** The size limit in force. */
    public int capacity() {
        return maxEntries == 0 ? DEFAULT_MAX_ENTRIES : maxEntries;
    }

    /** stap's error when a new key does not fit (translate.cxx, STAP_T_01). */
    String overflowMessage() {
        String check = maxEntries == 0 ? "MAXMAPENTRIES" : "size limit (" + maxEntries + ")";
        return "Array overflow, check " + check + " near identifier '" + name + "'";
    }
}
