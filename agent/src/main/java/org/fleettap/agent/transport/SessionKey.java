package org.fleettap.agent.transport;

import java.util.Objects;
import org.fleettap.proto.v1.Batch;

/** A (host, session) pair: the unit batches are numbered, ordered and drop-counted in. */
record SessionKey(String hostId, String sessionId) {

    SessionKey {
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(sessionId, "sessionId");
    }

    static SessionKey of(Batch batch) {
        return new SessionKey(batch.getHostId(), batch.getSessionId());
    }

    @Override
    public String toString() {
        return hostId + "/" + sessionId;
    }
}
