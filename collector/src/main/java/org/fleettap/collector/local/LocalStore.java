package org.fleettap.collector.local;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import org.fleettap.collector.control.ControlConfig;
import org.fleettap.collector.control.ControlPlane;
import org.fleettap.collector.control.SessionIds;
import org.fleettap.collector.control.StoreAgentRegistry;
import org.fleettap.collector.control.StoreSessionRegistry;
import org.fleettap.collector.ingest.AppliedFeed;
import org.fleettap.collector.query.QueryServiceImpl;
import org.fleettap.collector.query.QuerySettings;
import org.fleettap.collector.store.Store;
import org.fleettap.collector.store.StoreException;
import org.fleettap.collector.store.StoreOptions;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.TargetSelector;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * A collector's store and records inside the CLI's own process, with no collector running: {@code fleettap run}
 * stores a run's results in it, and {@code fleettap query/sessions/hosts --data DIR} read them afterwards. It is
 * made of the collector's own parts — the {@link Store}, the agent and session registries kept in it, a
 * {@link ControlPlane} over them and the {@link QueryServiceImpl} — so a local run is stored as a session of one
 * host, exactly as a fleet session is, and read by the same code.
 *
 * <p>One process at a time: RocksDB locks the directory, and a second opener gets a
 * {@link LocalStoreException} saying the directory is in use. {@link #close} closes the query service and the
 * store; it is idempotent.
 */
public final class LocalStore implements AutoCloseable {
    /** The name RocksDB gives the file that says which manifest is current: present in every store. */
    private static final String ROCKSDB_CURRENT = "CURRENT";

    private final Store store;
    private final StoreAgentRegistry agents;
    private final StoreSessionRegistry sessions;
    private final ControlPlane plane;
    private final Clock clock;
    private final SessionIds ids;
    private final Object lock = new Object();
    private QueryServiceImpl query; // guarded by lock
    private boolean closed; // guarded by lock

    private LocalStore(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
        this.agents = new StoreAgentRegistry(store);
        this.sessions = new StoreSessionRegistry(store);
        this.plane = new ControlPlane(ControlConfig.defaults(), agents, sessions, clock);
        this.ids = new SessionIds(clock, new SecureRandom());
    }

    /**
     * Starts loading RocksDB's native library on a thread of its own (about a second: it is unpacked from the
     * jar), so that it overlaps with what the caller does before it opens a store. A failure shows when a store is
     * opened.
     */
    public static void preload() {
        Thread t = new Thread(() -> {
            try {
                RocksDB.loadLibrary();
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                // Store.open loads it again and reports the failure.
            }
        }, "fleettap-rocksdb-load");
        t.setDaemon(true);
        t.start();
    }

    /** Opens the store in {@code dir} to write to it, creating the directory and the store if need be. */
    public static LocalStore create(Path dir, Clock clock) throws LocalStoreException {
        return open(dir, clock, true);
    }

    /** Opens the store in {@code dir} to read it; the directory must hold one. */
    public static LocalStore openExisting(Path dir, Clock clock) throws LocalStoreException {
        return open(dir, clock, false);
    }

    private static LocalStore open(Path dir, Clock clock, boolean create) throws LocalStoreException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(clock, "clock");
        if (!create && !Files.isDirectory(dir)) {
            throw new LocalStoreException("no fleettap store at " + dir + " (no such directory)", null);
        }
        if (!create && !Files.exists(dir.resolve(ROCKSDB_CURRENT))) {
            throw new LocalStoreException(dir + " holds no fleettap store", null);
        }
        Store store;
        try {
            store = Store.open(dir, StoreOptions.defaults().withClock(clock));
        } catch (StoreException e) {
            if (isLockHeld(e)) {
                throw new LocalStoreException(dir + " is in use by another fleettap process", e);
            }
            throw new LocalStoreException(e.getMessage(), e);
        }
        try {
            return new LocalStore(store, clock);
        } catch (RuntimeException e) {
            store.close();
            throw new LocalStoreException("reading the records in the store at " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * RocksDB says "While lock file: DIR/LOCK: Resource temporarily unavailable" when another process has the
     * store open, and "lock hold by current process, ..." when this one has.
     */
    private static boolean isLockHeld(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (t instanceof RocksDBException && (m.contains("while lock file") || m.contains("lock hold by"))) {
                return true;
            }
        }
        return false;
    }

    public Path directory() {
        return store.directory();
    }

    /**
     * Records a new session of this process on host {@code hostId} and returns the run that stores its batches.
     * {@code spec} holds what the run runs; its session id, creation time and target (this host) are set here.
     * The host is registered (with {@code kernelVersion}) as an agent would be, so hosts lists it.
     */
    public LocalRun startRun(SessionSpec spec, String hostId, String kernelVersion) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(hostId, "hostId");
        long now = nowNanos();
        agents.register(RegisterRequest.newBuilder().setHostId(hostId).setKernelVersion(kernelVersion).build(), now);
        String id = ids.next();
        while (sessions.session(id).isPresent()) {
            id = ids.next();
        }
        sessions.create(spec.toBuilder().setSessionId(id).setCreatedUnixNanos(now)
                .setTarget(TargetSelector.newBuilder().addHostIds(hostId)).build(), "");
        sessions.pushed(id, hostId);
        return new LocalRun(store, agents, sessions, id, hostId, this::nowNanos);
    }

    /** The collector's QueryService over this store, for the CLI's read commands. Closed by {@link #close}. */
    public QueryServiceImpl queryService() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("local store at " + directory() + " is closed");
            }
            if (query == null) {
                query = new QueryServiceImpl(store, plane, new AppliedFeed(), QuerySettings.defaults(), clock);
            }
            return query;
        }
    }

    long nowNanos() {
        Instant t = clock.instant();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (query != null) {
                query.close();
            }
            store.close();
        }
    }
}
