package org.fleettap.agent.script;

import java.util.Locale;

/** The value types of stap's type inference, plus the two kinds of expression that are not plain values. */
public enum Type {
    /** Not (yet) inferred. */
    UNKNOWN,
    /** A signed 64-bit integer (also pointers and target variables). */
    LONG,
    /** A string. */
    STRING,
    /** A statistic: values added with {@code <<<}, read with {@code @count} and friends. */
    STATS,
    /** The value of {@code @hist_log(s)} / {@code @hist_linear(s, ...)}: only printable. */
    HISTOGRAM,
    /** What a function without a return value gives. */
    VOID;

    /** The type as written in messages and annotations. */
    public String spelling() {
        return switch (this) {
            case STATS -> "statistic";
            case VOID -> "no value";
            default -> name().toLowerCase(Locale.ROOT);
        };
    }

    boolean known() {
        return this != UNKNOWN;
    }
}
