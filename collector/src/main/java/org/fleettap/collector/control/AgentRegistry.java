package org.fleettap.collector.control;

import java.util.List;
import java.util.Optional;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.SpoolStatus;

/**
 * The agent hosts the collector knows, kept across collector restarts by the store. Whether a host's control stream
 * is open now is not kept here: that is this collector process's state ({@link ControlPlane#isConnected}).
 * Implementations are thread-safe; the control plane serializes its own read-modify-write sequences.
 */
public interface AgentRegistry {
    /**
     * Records a registration: a new host, or the new labels, capabilities and versions of a known one (registration
     * is idempotent per host id). Its registration time and last contact become {@code unixNanos}; a known host
     * keeps its last spool status.
     */
    void register(RegisterRequest registration, long unixNanos);

    /** Records a heartbeat: last contact and spool status. False, and nothing changes, when the host is unknown. */
    boolean heartbeat(String hostId, long unixNanos, SpoolStatus spool);

    Optional<HostRecord> host(String hostId);

    /** Every registered host, in host id order. */
    List<HostRecord> hosts();
}
