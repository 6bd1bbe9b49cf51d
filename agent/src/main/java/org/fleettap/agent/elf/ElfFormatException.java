package org.fleettap.agent.elf;

/** An ELF file (or part of one) that cannot be read: the message is one line naming what is wrong. */
public final class ElfFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A format error described by {@code message}. */
    public ElfFormatException(String message) {
        super(message);
    }

    /** A format error described by {@code message}, caused by {@code cause}. */
    public ElfFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Text from the file made safe for a one-line message: control and non-ASCII characters escaped, length capped. */
    static String printable(String text) {
        StringBuilder sb = new StringBuilder();
        int limit = 200;
        for (int i = 0; i < text.length(); i++) {
            if (sb.length() >= limit) {
                return sb.append("...").toString();
            }
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                sb.append(c);
            } else {
                sb.append(String.format("\\x%02x", (int) c & 0xff));
            }
        }
        return sb.toString();
    }
}
