package org.fleettap.collector.store;

import java.util.Objects;
import org.fleettap.proto.v1.Ack;
import org.fleettap.proto.v1.AckStatus;

/**
 * What {@link Store#apply} did with one batch.
 *
 * @param host the batch's host id (may be empty for a rejected batch)
 * @param session the batch's session id (may be empty for a rejected batch)
 * @param sequence the batch's sequence number
 * @param status APPLIED (durably, now), DUPLICATE (applied before; nothing changed) or REJECTED
 * @param error for REJECTED, one line saying what is wrong and where; empty otherwise
 */
public record ApplyResult(String host, String session, long sequence, AckStatus status, String error) {
    public ApplyResult {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(error, "error");
    }

    /** The acknowledgement to send the agent. */
    public Ack toAck() {
        return Ack.newBuilder().setHostId(host).setSessionId(session).setSequence(sequence)
                .setStatus(status).setError(error).build();
    }
}
