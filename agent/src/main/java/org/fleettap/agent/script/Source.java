package org.fleettap.agent.script;

import java.util.Objects;

/** A script's text and the name it is reported under (a file name, or {@code <input>} for {@code -e}). */
public record Source(String name, String text) {

    public Source {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(text, "text");
    }

    /** The text of line {@code number} (1-based) without its line terminator; empty past the end. */
    public String line(int number) {
        int start = 0;
        for (int line = 1; line < number; line++) {
            int nl = text.indexOf('\n', start);
            if (nl < 0) {
                return "";
            }
            start = nl + 1;
        }
        int end = text.indexOf('\n', start);
        String s = end < 0 ? text.substring(start) : text.substring(start, end);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }
}
