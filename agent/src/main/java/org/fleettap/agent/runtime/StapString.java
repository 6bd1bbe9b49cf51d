package org.fleettap.agent.runtime;

import java.nio.charset.StandardCharsets;

/**
 * Strings bounded as stap bounds them: a string lives in a {@code char[MAXSTRINGLEN]} buffer
 * (512 on 64-bit, runtime_defines.h), so it holds at most 511 bytes and anything longer is cut
 * silently. Lengths count UTF-8 bytes; where the cut would split a character, the whole character
 * is dropped (stap would keep a partial byte sequence, which a Java string cannot hold).
 */
public final class StapString {
    /** MAXSTRINGLEN on 64-bit targets, including the terminating NUL. */
    public static final int MAX_STRING_LEN = 512;
    /** The longest string content, in bytes. */
    public static final int MAX_CONTENT_BYTES = MAX_STRING_LEN - 1;

    /** Up to this many chars, UTF-8 cannot exceed {@link #MAX_CONTENT_BYTES} bytes (3 bytes a char at most). */
    private static final int ALWAYS_FITS_CHARS = MAX_CONTENT_BYTES / 3;

    private StapString() {}

    /** {@code s} cut to at most {@link #MAX_CONTENT_BYTES} UTF-8 bytes; {@code s} itself when it fits. */
    public static String truncate(String s) {
        if (s.length() <= ALWAYS_FITS_CHARS) {
            return s;
        }
        int bytes = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int len = utf8Length(cp);
            if (bytes + len > MAX_CONTENT_BYTES) {
                return s.substring(0, i);
            }
            bytes += len;
            i += Character.charCount(cp);
        }
        return s;
    }

    /** The {@code .} operator: concatenation, then truncation. */
    public static String concat(String a, String b) {
        return truncate(a.concat(b));
    }

    /** Length in bytes, as {@code strlen()} reports it. */
    public static int byteLength(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static int utf8Length(int cp) {
        if (cp < 0x80) {
            return 1;
        }
        if (cp < 0x800) {
            return 2;
        }
        return cp < 0x10000 ? 3 : 4;
    }
}
