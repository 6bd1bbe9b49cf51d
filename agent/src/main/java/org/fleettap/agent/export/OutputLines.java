package org.fleettap.agent.export;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.fleettap.proto.v1.OutputLine;

/**
 * A script's output as lines for the collector: give {@link #stream()} to the compiler, and each line printed
 * becomes an {@link OutputLine} stamped with the time of the event that printed it. Lines longer than 64 KiB
 * (the wire's limit) are cut. Used on the session's thread.
 */
public final class OutputLines {
    /** The longest line sent, in bytes of UTF-8. */
    static final int MAX_LINE_BYTES = 64 * 1024;

    private final List<OutputLine> lines = new ArrayList<>();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final PrintStream stream = new PrintStream(new OutputStream() {
        @Override
        public void write(int b) {
            if (b == '\n') {
                endLine();
            } else if (line.size() < MAX_LINE_BYTES) {
                line.write(b);
            }
        }
    }, true, StandardCharsets.UTF_8);
    private LongSupplier time = () -> System.currentTimeMillis() * 1_000_000L;

    /** The stream the script prints to. */
    public PrintStream stream() {
        return stream;
    }

    /** Stamps lines with {@code unixNanos} from now on (the session's event time). */
    void stampWith(LongSupplier unixNanos) {
        this.time = unixNanos;
    }

    /** The lines completed since the last call; with {@code all}, also a last line not ended by a newline. */
    List<OutputLine> drain(boolean all) {
        stream.flush();
        if (all && line.size() > 0) {
            endLine();
        }
        List<OutputLine> out = List.copyOf(lines);
        lines.clear();
        return out;
    }

    private void endLine() {
        lines.add(OutputLine.newBuilder().setTimeUnixNanos(time.getAsLong())
                .setText(line.toString(StandardCharsets.UTF_8)).build());
        line.reset();
    }
}
