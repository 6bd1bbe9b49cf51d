package org.fleettap.collector.control;

import java.util.Map;
import java.util.Objects;
import org.fleettap.proto.v1.HostInfo;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.SpoolStatus;

/**
 * What the collector keeps about one agent host: its latest registration as the agent sent it, when that was, when
 * the host was last heard from (registration or heartbeat) and the spool status of its last heartbeat.
 */
public record HostRecord(RegisterRequest registration, long registeredUnixNanos, long lastContactUnixNanos,
        SpoolStatus spool) {
    public HostRecord {
        Objects.requireNonNull(registration, "registration");
        Objects.requireNonNull(spool, "spool");
    }

    public String hostId() {
        return registration.getHostId();
    }

    public Map<String, String> labels() {
        return registration.getLabelsMap();
    }

    /** The host as QueryService.ListHosts shows it. */
    public HostInfo toInfo(boolean connected) {
        return HostInfo.newBuilder().setHostId(hostId()).putAllLabels(labels())
                .setKernelVersion(registration.getKernelVersion()).setCapabilities(registration.getCapabilities())
                .setAgentVersion(registration.getAgentVersion()).setRegisteredUnixNanos(registeredUnixNanos)
                .setLastHeartbeatUnixNanos(lastContactUnixNanos).setConnected(connected).build();
    }
}
