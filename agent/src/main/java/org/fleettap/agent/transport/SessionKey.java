package org.fleettap.agent.transport;

import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
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

    /**
     * The (host, session) of a serialized batch that may be damaged: its {@code host_id} and {@code session_id}
     * fields (the first two the agent writes), read up to the first field that does not read. Empty when either is
     * missing or unreadable. The bytes of a damaged batch may still name a wrong pair, so callers take the result
     * only where it names a session they know.
     */
    static Optional<SessionKey> readFrom(byte[] bytes, int offset, int length) {
        String host = null;
        String session = null;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
            for (int tag = in.readTag(); tag != 0 && (host == null || session == null); tag = in.readTag()) {
                switch (tag) {
                    case 10 -> host = in.readStringRequireUtf8();
                    case 18 -> session = in.readStringRequireUtf8();
                    default -> in.skipField(tag);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Damaged from here on: what was read before stands.
        }
        if (host == null || session == null || host.isEmpty() || session.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new SessionKey(host, session));
    }

    @Override
    public String toString() {
        return hostId + "/" + sessionId;
    }
}
