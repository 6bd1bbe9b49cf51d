package org.fleettap.collector.control;

import java.util.Map;
import java.util.Objects;
import org.fleettap.collector.store.Store;

/**
 * An {@link AgentRegistry} kept in the {@link Store}, so that hosts survive a collector restart: every change is
 * written through (registrations synced; heartbeats, which only move the last contact and the spool status, without
 * an fsync), and reads are served from memory, loaded when the registry is opened.
 */
public final class StoreAgentRegistry extends InMemoryAgentRegistry {
    private final Store store;

    /** Loads the hosts kept in {@code store}. */
    public StoreAgentRegistry(Store store) {
        super(Objects.requireNonNull(store, "store").agentRecords().entrySet().stream()
                .map((Map.Entry<String, byte[]> e) -> RegistryRecords.decodeHost(e.getKey(), e.getValue()))
                .toList());
        this.store = store;
    }

    @Override
    protected void persist(HostRecord h, boolean registration) {
        store.putAgentRecord(h.hostId(), RegistryRecords.encode(h), registration);
    }
}
