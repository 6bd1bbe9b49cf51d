package org.fleettap.collector.control;

import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.SpoolStatus;

/** An {@link AgentRegistry} in memory, lost with the process (tests, and collectors run without a store). */
public final class InMemoryAgentRegistry implements AgentRegistry {
    private final Object lock = new Object();
    private final TreeMap<String, HostRecord> hosts = new TreeMap<>();

    @Override
    public void register(RegisterRequest registration, long unixNanos) {
        synchronized (lock) {
            HostRecord old = hosts.get(registration.getHostId());
            SpoolStatus spool = old == null ? SpoolStatus.getDefaultInstance() : old.spool();
            hosts.put(registration.getHostId(), new HostRecord(registration, unixNanos, unixNanos, spool));
        }
    }

    @Override
    public boolean heartbeat(String hostId, long unixNanos, SpoolStatus spool) {
        synchronized (lock) {
            HostRecord old = hosts.get(hostId);
            if (old == null) {
                return false;
            }
            hosts.put(hostId, new HostRecord(old.registration(), old.registeredUnixNanos(), unixNanos, spool));
            return true;
        }
    }

    @Override
    public Optional<HostRecord> host(String hostId) {
        synchronized (lock) {
            return Optional.ofNullable(hosts.get(hostId));
        }
    }

    @Override
    public List<HostRecord> hosts() {
        synchronized (lock) {
            return List.copyOf(hosts.values());
        }
    }
}
