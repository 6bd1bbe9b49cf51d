package org.fleettap.cli;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Points in time as users write them: RFC 3339 ({@code 2024-05-01T12:00:00Z}, {@code 2024-05-01T14:00:00.5+02:00})
 * or relative to now ({@code -5m}, {@code -90s}, {@code -500ms}, {@code -2h}, {@code -1d}, {@code now}). Times go
 * to the collector as unix nanoseconds.
 */
final class Times {
    private static final Pattern RELATIVE = Pattern.compile("-(\\d{1,9})(ms|s|m|h|d)");

    private Times() {
    }

    /** Parses {@code text} against {@code now}; the exception's message says what is wrong, in one line. */
    static long parse(String text, Instant now) {
        try {
            return parseOrThrow(text.strip(), now);
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is not a time (expected RFC 3339, e.g. "
                    + "2024-05-01T12:00:00Z, or relative to now, e.g. -5m, -2h)");
        }
    }

    private static long parseOrThrow(String t, Instant now) {
        if (t.equalsIgnoreCase("now")) {
            return nanos(now);
        }
        Matcher m = RELATIVE.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            ChronoUnit unit = switch (m.group(2)) {
                case "ms" -> ChronoUnit.MILLIS;
                case "s" -> ChronoUnit.SECONDS;
                case "m" -> ChronoUnit.MINUTES;
                case "h" -> ChronoUnit.HOURS;
                default -> ChronoUnit.DAYS;
            };
            return nanos(now.minus(n, unit));
        }
        // RFC 3339 allows 't', 'z' and a space between date and time.
        return nanos(OffsetDateTime.parse(t.toUpperCase(Locale.ROOT).replace(' ', 'T')).toInstant());
    }

    /** Unix nanoseconds as RFC 3339 in UTC, to the second ({@code -} for 0, the unset time). */
    static String format(long unixNanos) {
        if (unixNanos == 0) {
            return "-";
        }
        return Instant.ofEpochSecond(Math.floorDiv(unixNanos, 1_000_000_000L)).toString();
    }

    /** Unix nanoseconds as RFC 3339 in UTC, to the millisecond (no fraction when it is 0). */
    static String formatMillis(long unixNanos) {
        return Instant.ofEpochSecond(Math.floorDiv(unixNanos, 1_000_000_000L),
                Math.floorMod(unixNanos, 1_000_000_000L)).truncatedTo(ChronoUnit.MILLIS).toString();
    }

    private static long nanos(Instant t) {
        if (t.getEpochSecond() < 0) {
            throw new ArithmeticException("before 1970");
        }
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }
}
