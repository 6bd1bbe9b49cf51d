package org.fleettap.collector.control;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.SpoolStatus;

/**
 * An {@link AgentRegistry} in memory, lost with the process (tests, and collectors run without a store); the store's
 * registry is this one with every change written through first ({@link #persist}).
 */
public class InMemoryAgentRegistry implements AgentRegistry {
    private final Object lock = new Object();
    private final TreeMap<String, HostRecord> hosts = new TreeMap<>(); // guarded by lock

    public InMemoryAgentRegistry() {
    }

    /** A registry holding {@code records} to begin with (loaded from somewhere). */
    protected InMemoryAgentRegistry(Collection<HostRecord> records) {
        records.forEach(h -> hosts.put(h.hostId(), h));
    }

    /**
     * Called, under the registry's lock, with each new or changed record before memory holds it; {@code
     * registration} tells a registration (worth an fsync) from a heartbeat (last contact and spool status only).
     */
    protected void persist(HostRecord h, boolean registration) {
    }

    @Override
    public void register(RegisterRequest registration, long unixNanos) {
        synchronized (lock) {
            HostRecord old = hosts.get(registration.getHostId());
            SpoolStatus spool = old == null ? SpoolStatus.getDefaultInstance() : old.spool();
            put(new HostRecord(registration, unixNanos, unixNanos, spool), true);
        }
    }

    @Override
    public boolean heartbeat(String hostId, long unixNanos, SpoolStatus spool) {
        synchronized (lock) {
            HostRecord old = hosts.get(hostId);
            if (old == null) {
                return false;
            }
            put(new HostRecord(old.registration(), old.registeredUnixNanos(), unixNanos, spool), false);
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

    /** Persists first, so memory never holds what the store does not. */
    private void put(HostRecord h, boolean registration) {
        persist(h, registration);
        hosts.put(h.hostId(), h);
    }
}
