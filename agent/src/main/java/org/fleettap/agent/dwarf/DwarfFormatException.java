package org.fleettap.agent.dwarf;

/**
 * Debug information that does not parse: names the section and the offset where it goes wrong. One line: the
 * messages quote names and paths from the file, so control characters in them are escaped here ({@code \x0a}).
 */
public final class DwarfFormatException extends Exception {
    public DwarfFormatException(String message) {
        super(oneLine(message));
    }

    public DwarfFormatException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    private static String oneLine(String message) {
        if (message == null || message.chars().noneMatch(c -> c < 0x20 || c == 0x7f)) {
            return message;
        }
        StringBuilder sb = new StringBuilder(message.length() + 8);
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
