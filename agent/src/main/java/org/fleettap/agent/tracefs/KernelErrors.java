package org.fleettap.agent.tracefs;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.fleettap.agent.internal.sys.Errno;

/** Making sense of a failed write to a tracefs control file: its errno and the kernel's error_log entry. */
final class KernelErrors {
    /** The errnos a control-file write is expected to fail with. */
    private static final List<Integer> KNOWN = List.of(Errno.EINVAL, Errno.EBUSY, Errno.ENOENT, Errno.EEXIST,
            Errno.E2BIG, Errno.ENOSPC, Errno.ENOMEM, Errno.EPERM, Errno.EACCES, Errno.ENODEV, Errno.EFAULT);

    private static final String COMMAND = "Command: ";

    private KernelErrors() {
    }

    /**
     * The errno behind a failed read or write: the JDK reports it only as strerror's text, which is matched
     * against the same libc's text for each expected errno.
     */
    static OptionalInt errno(IOException e) {
        String message = e.getMessage();
        if (message == null) {
            return OptionalInt.empty();
        }
        for (int errno : KNOWN) {
            String described = Errno.describe(errno);
            if (described.equals(message) || described.startsWith(message + " (")) {
                return OptionalInt.of(errno);
            }
        }
        return OptionalInt.empty();
    }

    /** "Invalid argument (EINVAL)" when the errno is known, else the exception's message. */
    static String describe(IOException e) {
        OptionalInt errno = errno(e);
        return errno.isPresent() ? Errno.describe(errno.getAsInt()) : String.valueOf(e.getMessage());
    }

    /**
     * The kernel's explanation of why it rejected {@code command}, from the text of tracefs {@code error_log}:
     * the latest entry for that command, as "MESSAGE (at 'TOKEN')".
     *
     * <p>Entries look like:
     * <pre>
     * [  200.301390] trace_uprobe: error: Invalid register name
     *   Command: p:g/e /x:0x1139 x=%nope
     *                              ^
     * </pre>
     */
    static Optional<String> explain(String errorLog, String command) {
        String[] lines = errorLog.split("\n");
        String found = null;
        for (int i = 1; i < lines.length; i++) {
            int at = lines[i].indexOf(COMMAND);
            if (at < 0) {
                continue;
            }
            String logged = lines[i].substring(at + COMMAND.length()).strip();
            if (logged.isEmpty() || !command.strip().startsWith(logged)) {
                continue; // another command; the log may truncate long ones
            }
            int error = lines[i - 1].indexOf("error: ");
            String message = error >= 0 ? lines[i - 1].substring(error + "error: ".length()).strip()
                    : lines[i - 1].strip();
            String token = null;
            if (i + 1 < lines.length) {
                int caret = lines[i + 1].indexOf('^') - (at + COMMAND.length());
                token = tokenAt(lines[i].substring(at + COMMAND.length()), caret);
            }
            found = token == null ? message : message + " (at '" + token + "')";
        }
        return Optional.ofNullable(found);
    }

    /** The whitespace-separated word of {@code s} that covers column {@code col}, or null. */
    private static String tokenAt(String s, int col) {
        if (col < 0 || col >= s.length() || Character.isWhitespace(s.charAt(col))) {
            return null;
        }
        int start = col;
        while (start > 0 && !Character.isWhitespace(s.charAt(start - 1))) {
            start--;
        }
        int end = col;
        while (end < s.length() && !Character.isWhitespace(s.charAt(end))) {
            end++;
        }
        return s.substring(start, end);
    }
}
