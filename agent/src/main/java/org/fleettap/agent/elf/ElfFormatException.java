package org.fleettap.agent.elf;

/** An ELF file (or part of one) that cannot be read: the message is one line naming what is wrong. */
public final class ElfFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    private final boolean notElf;

    /** A format error described by {@code message}. */
    public ElfFormatException(String message) {
        this(message, null, false);
    }

    /** A format error described by {@code message}, caused by {@code cause}. */
    public ElfFormatException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private ElfFormatException(String message, Throwable cause, boolean notElf) {
        super(message, cause);
        this.notElf = notElf;
    }

    /** The file does not start with the ELF magic: a data file, not a damaged binary. */
    static ElfFormatException notElf() {
        return new ElfFormatException("not an ELF file", null, true);
    }

    /**
     * Whether the file is not ELF at all (no magic), as opposed to an ELF file that is damaged: callers that meet
     * every mapped file (symbolization) pass over the first quietly and warn about the second.
     */
    public boolean isNotElf() {
        return notElf;
    }

    /** This error with {@code context} (a path) in front of its message, keeping {@link #isNotElf()}. */
    ElfFormatException in(String context) {
        return new ElfFormatException(context + ": " + getMessage(), this, notElf);
    }

    /**
     * Text from a file (a name, a path from a string table) made safe for a one-line message: control and non-ASCII
     * characters escaped, length capped. Shared by the readers of every section format (ELF, DWARF, CFI).
     */
    public static String printable(String text) {
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
