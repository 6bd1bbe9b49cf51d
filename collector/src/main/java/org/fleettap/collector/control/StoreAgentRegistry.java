package org.fleettap.collector.control;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.fleettap.collector.store.Store;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.SpoolStatus;

/**
 * An {@link AgentRegistry} kept in the {@link Store}, so that hosts survive a collector restart: every change is
 * written through (registrations synced; heartbeats, which only move the last contact and the spool status, without
 * an fsync), and reads are served from memory, loaded when the registry is opened.
 */
public final class StoreAgentRegistry implements AgentRegistry {
    private final Store store;
    private final Object lock = new Object();
    private final TreeMap<String, HostRecord> hosts = new TreeMap<>(); // guarded by lock

    /** Loads the hosts kept in {@code store}. */
    public StoreAgentRegistry(Store store) {
        this.store = Objects.requireNonNull(store, "store");
        for (Map.Entry<String, byte[]> e : store.agentRecords().entrySet()) {
            hosts.put(e.getKey(), RegistryRecords.decodeHost(e.getKey(), e.getValue()));
        }
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

    /** Writes first, so memory never holds what the store does not. */
    private void put(HostRecord h, boolean sync) {
        store.putAgentRecord(h.hostId(), RegistryRecords.encode(h), sync);
        hosts.put(h.hostId(), h);
    }
}
