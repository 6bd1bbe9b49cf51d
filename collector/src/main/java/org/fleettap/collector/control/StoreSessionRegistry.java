package org.fleettap.collector.control;

import java.util.Map;
import java.util.Objects;
import org.fleettap.collector.store.Store;

/**
 * A {@link SessionRegistry} kept in the {@link Store}, so that sessions, where they were pushed, what hosts reported
 * and whether they were stopped or ended survive a collector restart: every change is written through (synced), and
 * reads are served from memory, loaded when the registry is opened.
 */
public final class StoreSessionRegistry extends InMemorySessionRegistry {
    private final Store store;

    /** Loads the sessions kept in {@code store}. */
    public StoreSessionRegistry(Store store) {
        super(Objects.requireNonNull(store, "store").sessionRecords().entrySet().stream()
                .map((Map.Entry<String, byte[]> e) -> RegistryRecords.decodeSession(e.getKey(), e.getValue()))
                .toList());
        this.store = store;
    }

    @Override
    protected void persist(SessionRecord s) {
        store.putSessionRecord(s.id(), RegistryRecords.encode(s));
    }
}
