package org.fleettap.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations as users write them: 500ms, 10s, 2m, 1h (a bare number is seconds). */
final class Durations {
    private static final Pattern FORMAT = Pattern.compile("(\\d+)(ms|s|m|h)?");

    private Durations() {
    }

    static Duration parse(String text) throws UserErrors.UsageException {
        Matcher m = FORMAT.matcher(text.strip());
        if (!m.matches()) {
            throw new UserErrors.UsageException("bad duration '" + text + "' (expected e.g. 500ms, 10s, 2m, 1h)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        switch (unit) {
            case "ms": return Duration.ofMillis(n);
            case "m": return Duration.ofMinutes(n);
            case "h": return Duration.ofHours(n);
            default: return Duration.ofSeconds(n);
        }
    }
}
