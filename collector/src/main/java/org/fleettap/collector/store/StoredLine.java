package org.fleettap.collector.store;

import java.util.Objects;
import org.fleettap.proto.v1.OutputEvent;
import org.fleettap.proto.v1.OutputLine;

/**
 * An output line as stored: the host and batch it came from, and its place in the batch.
 *
 * @param host the host that printed it
 * @param sequence the sequence number of its batch
 * @param index its place among the batch's output lines
 * @param line the line
 */
public record StoredLine(String host, long sequence, int index, OutputLine line) {
    public StoredLine {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(line, "line");
    }

    public OutputEvent toEvent() {
        return OutputEvent.newBuilder().setHostId(host).setLine(line).build();
    }
}
