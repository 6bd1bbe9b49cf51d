package org.fleettap.agent.dwarf;

/** Debug information that does not parse: names the section and the offset where it goes wrong. One line. */
public final class DwarfFormatException extends Exception {
    public DwarfFormatException(String message) {
        super(message);
    }

    public DwarfFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
