package org.fleettap.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Parses sizes as users write them: 4096, 64KiB, 256MiB, 2GiB (also K, M, G and KB, MB, GB, all powers of 1024). */
final class Sizes {
    private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*([kmg](?:i?b)?|b)?", Pattern.CASE_INSENSITIVE);

    private Sizes() {
    }

    static long parse(String text) throws UserErrors.UsageException {
        Matcher m = FORMAT.matcher(text.strip());
        if (!m.matches()) {
            throw new UserErrors.UsageException("bad size '" + text + "' (expected e.g. 65536, 64KiB, 256MiB, 2GiB)");
        }
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        int shift = switch (unit.charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), 1L << shift);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new UserErrors.UsageException("size '" + text + "' is too large");
        }
    }

    /** For picocli options. */
    static final class Converter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return parse(value);
            } catch (UserErrors.UsageException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
