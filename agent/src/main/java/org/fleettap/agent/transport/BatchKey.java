package org.fleettap.agent.transport;

import java.util.Objects;
import org.fleettap.proto.v1.Ack;
import org.fleettap.proto.v1.Batch;

/** What identifies a batch: (host, session, sequence). The collector applies each key once. */
record BatchKey(String hostId, String sessionId, long sequence) {

    BatchKey {
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(sessionId, "sessionId");
    }

    static BatchKey of(Batch batch) {
        return new BatchKey(batch.getHostId(), batch.getSessionId(), batch.getSequence());
    }

    static BatchKey of(Ack ack) {
        return new BatchKey(ack.getHostId(), ack.getSessionId(), ack.getSequence());
    }

    SessionKey session() {
        return new SessionKey(hostId, sessionId);
    }

    @Override
    public String toString() {
        return hostId + "/" + sessionId + "#" + Long.toUnsignedString(sequence);
    }
}
