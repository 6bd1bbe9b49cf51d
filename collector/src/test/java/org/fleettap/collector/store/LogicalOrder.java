package org.fleettap.collector.store;

import java.util.Comparator;
import java.util.List;
import org.fleettap.proto.v1.KeyPart;

/** The order the store's keys must have, written plainly (the oracle for the byte encoding). */
final class LogicalOrder {
    private LogicalOrder() {}

    /** Strings by code point (which is UTF-8 byte order, not UTF-16 String.compareTo order). */
    static final Comparator<String> STRINGS = (a, b) -> {
        int[] x = a.codePoints().toArray();
        int[] y = b.codePoints().toArray();
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (x[i] != y[i]) {
                return Integer.compare(x[i], y[i]);
            }
        }
        return Integer.compare(x.length, y.length);
    };

    /** Integer parts before string parts; integers by value, strings by code point. */
    static final Comparator<KeyPart> PARTS = (a, b) -> {
        if (a.hasIntValue() != b.hasIntValue()) {
            return a.hasIntValue() ? -1 : 1;
        }
        return a.hasIntValue() ? Long.compare(a.getIntValue(), b.getIntValue())
                : STRINGS.compare(a.getStringValue(), b.getStringValue());
    };

    /** Part by part; a tuple before the longer tuples it begins. */
    static final Comparator<List<KeyPart>> TUPLES = (a, b) -> {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = PARTS.compare(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    };
}
