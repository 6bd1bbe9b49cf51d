package org.fleettap.collector.store;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.fleettap.proto.v1.AuditEntry;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.HostInfo;
import org.fleettap.proto.v1.OutputEvent;
import org.fleettap.proto.v1.OutputLine;
import org.fleettap.proto.v1.SessionInfo;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.RocksObject;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's store: a RocksDB database in one directory holding the aggregates, output lines,
 * agents and sessions, and which batches were applied.
 *
 * <h2>Column families</h2>
 *
 * <ul>
 *   <li>{@code aggregates}: 1 s window aggregates by (session, name, key, host, resolution, window
 *       start, batch), see {@link AggregateKeys};
 *   <li>{@code rollups}: 1 min and 1 h window aggregates by (session, name, resolution, window
 *       start, key, host), see {@link RollupKeys};
 *   <li>{@code output}: output lines by (session, time, host, sequence, index), see
 *       {@link OutputKeys};
 *   <li>{@code applied}: the highest applied sequence and the losses per (host, session), and the
 *       Kafka consumer offsets per (topic, partition), see {@link AppliedKeys};
 *   <li>{@code agents}: {@link HostInfo} by host id; {@code sessions}: {@link SessionInfo} by
 *       session id;
 *   <li>{@code registry}: the control plane's own records of agents and sessions (opaque bytes in
 *       a format of the control plane's), by kind and id, see {@link #putAgentRecord} and
 *       {@link #putSessionRecord};
 *   <li>{@code audit}: the audit log, {@link AuditEntry}s by (time, sequence), see {@link #appendAudit};
 *   <li>{@code default}: the schema version.
 * </ul>
 *
 * <h2>Exactly once</h2>
 *
 * {@link #applyAll} writes the batches' aggregate deltas (as 1 s window entries, and with rollup on
 * a record of what the 1 min and 1 h windows still lack, see {@link Ingest}), output lines, losses
 * and new applied sequences, and the Kafka offsets, in one RocksDB {@code WriteBatch} written with
 * {@code sync}: when it returns APPLIED, the batch is on
 * disk (the write-ahead log is fsynced), and after a crash it is there wholly or not at all, the
 * record that it was applied included. A batch whose sequence is at most the applied one for its
 * (host, session) is a DUPLICATE and changes nothing. Batches of a (host, session) must therefore
 * arrive in sequence order (the agent sends them so, and a Kafka partition keeps them so); a
 * sequence that jumps counts the missing ones as lost ({@link Losses#missingBatches}).
 *
 * <p>Every write is an fsync (milliseconds on a disk), so ingest should hand several batches to
 * one {@link #applyAll} call (group commit) and acknowledge them after it returns.
 *
 * <h2>Threading</h2>
 *
 * Every method is safe to call from any thread. The write methods ({@link #apply}, {@link #applyAll},
 * {@link #compactExpired}) read, merge and write aggregates and are serialized on one lock: call
 * them from one ingest thread to keep that lock uncontended. Queries take a snapshot and the rollup
 * deltas not yet written to their windows under that lock (so a query waits for a running write),
 * then read the snapshot in parallel with each other and with ingest. {@link #close} waits for running calls; calls after it
 * throw {@link IllegalStateException}.
 */
public final class Store implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Store.class);

    static final String AGGREGATES = "aggregates";
    static final String ROLLUPS = "rollups";
    static final String OUTPUT = "output";
    static final String AGENTS = "agents";
    static final String SESSIONS = "sessions";
    static final String APPLIED = "applied";
    static final String REGISTRY = "registry";
    /** Added after schema version 2 without changing it: opening an older store creates it empty. */
    static final String AUDIT = "audit";
    private static final List<String> FAMILIES = List.of(AGGREGATES, ROLLUPS, OUTPUT, AGENTS, SESSIONS, APPLIED,
            REGISTRY, AUDIT);
    private static final int REGISTRY_AGENT = 1;
    private static final int REGISTRY_SESSION = 2;
    private static final byte[] SCHEMA_KEY = "schema-version".getBytes(StandardCharsets.UTF_8);
    /** 2: rollup windows in their own column family, time before series ({@link RollupKeys}). */
    static final int SCHEMA_VERSION = 2;
    /** Version 1 kept rollup windows in {@code aggregates}; opening moves them. */
    private static final int SCHEMA_SERIES_ROLLUPS = 1;
    private static final long BLOCK_CACHE_BYTES = 128L << 20;

    private final Path dir;
    private final StoreOptions options;
    private final RocksDB db;
    /** Closed in reverse order on close. */
    private final List<AutoCloseable> resources;
    private final ColumnFamilyHandle aggregates;
    private final ColumnFamilyHandle rollups;
    private final ColumnFamilyHandle output;
    private final ColumnFamilyHandle agents;
    private final ColumnFamilyHandle sessions;
    private final ColumnFamilyHandle applied;
    private final ColumnFamilyHandle registry;
    private final ColumnFamilyHandle audit;
    /** Orders audit entries of the same nanosecond. */
    private final AtomicLong auditSequence = new AtomicLong();
    private final WriteOptions unsyncedWrites;
    private final WriteOptions syncWrites;
    private final Ingest ingest;
    private final AggregateQueries queries;
    private final Object writeLock = new Object();
    /** Read-held by every call, write-held by close, so nothing touches a closed database. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private Store(Path dir, StoreOptions options, RocksDB db, List<AutoCloseable> resources,
            Map<String, ColumnFamilyHandle> handles, WriteOptions syncWrites, WriteOptions unsyncedWrites) {
        this.dir = dir;
        this.options = options;
        this.db = db;
        this.resources = resources;
        this.aggregates = handles.get(AGGREGATES);
        this.rollups = handles.get(ROLLUPS);
        this.output = handles.get(OUTPUT);
        this.agents = handles.get(AGENTS);
        this.sessions = handles.get(SESSIONS);
        this.applied = handles.get(APPLIED);
        this.registry = handles.get(REGISTRY);
        this.audit = handles.get(AUDIT);
        this.syncWrites = syncWrites;
        this.unsyncedWrites = unsyncedWrites;
        this.ingest = new Ingest(db, aggregates, rollups, output, applied, syncWrites, options.rollup(),
                options.rollupCacheEntries());
        this.queries = new AggregateQueries(db, aggregates, rollups, options.rollup(), writeLock, ingest);
    }

    /**
     * Opens the store in {@code dir}, creating the directory and the database if they do not exist.
     * RocksDB replays its write-ahead log, so everything a write acknowledged before a crash is there.
     *
     * @throws StoreException if it cannot be opened (another process holds it, it is not a store of
     *     this schema version, I/O errors)
     */
    public static Store open(Path dir, StoreOptions options) {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(options, "options");
        RocksDB.loadLibrary();
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            DBOptions dbOptions = track(resources, new DBOptions()
                    .setCreateIfMissing(true)
                    .setCreateMissingColumnFamilies(true)
                    .setMaxBackgroundJobs(2));
            LRUCache cache = track(resources, new LRUCache(BLOCK_CACHE_BYTES));
            BloomFilter bloom = track(resources, new BloomFilter(10));
            ColumnFamilyOptions cfOptions = track(resources, new ColumnFamilyOptions()
                    .setCompressionType(CompressionType.LZ4_COMPRESSION)
                    .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache).setFilterPolicy(bloom)));
            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions));
            for (String f : FAMILIES) {
                descriptors.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.UTF_8), cfOptions));
            }
            List<ColumnFamilyHandle> handleList = new ArrayList<>();
            RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handleList);
            // Handles close before the database, the database before its options.
            resources.add(db);
            handleList.forEach(resources::add);
            Map<String, ColumnFamilyHandle> handles = new LinkedHashMap<>();
            for (int i = 0; i < FAMILIES.size(); i++) {
                handles.put(FAMILIES.get(i), handleList.get(i + 1));
            }
            checkSchema(db, handles.get(AGGREGATES), handles.get(ROLLUPS));
            WriteOptions syncWrites = track(resources, new WriteOptions().setSync(true));
            WriteOptions unsyncedWrites = track(resources, new WriteOptions());
            Store store = new Store(dir, options, db, resources, handles, syncWrites, unsyncedWrites);
            // Rollup windows left pending by a crash (or by a store opened with rollup off) are written now.
            store.ingest.flushAll();
            log.info("opened store at {}", dir);
            return store;
        } catch (RocksDBException | IOException | StoreException e) {
            closeAll(resources);
            throw new StoreException("opening store at " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void checkSchema(RocksDB db, ColumnFamilyHandle aggregates, ColumnFamilyHandle rollups)
            throws RocksDBException {
        byte[] v = db.get(SCHEMA_KEY);
        if (v != null && v.length == 1 && v[0] == SCHEMA_SERIES_ROLLUPS) {
            moveRollups(db, aggregates, rollups);
            v = null;
        }
        if (v == null) {
            try (WriteOptions wo = new WriteOptions().setSync(true)) {
                db.put(wo, SCHEMA_KEY, new byte[] {SCHEMA_VERSION});
            }
        } else if (v.length != 1 || v[0] != SCHEMA_VERSION) {
            throw new StoreException("it has schema version " + (v.length == 1 ? v[0] : "?")
                    + "; this collector reads version " + SCHEMA_VERSION);
        }
    }

    /**
     * Moves the rollup windows of a version 1 store from {@code aggregates} to {@code rollups}, each
     * window's put and delete in one write: interrupted, it can run again.
     */
    private static void moveRollups(RocksDB db, ColumnFamilyHandle aggregates, ColumnFamilyHandle rollups)
            throws RocksDBException {
        int moved = 0;
        try (WriteOptions wo = new WriteOptions().setSync(true); RocksIterator it = db.newIterator(aggregates)) {
            WriteBatch wb = new WriteBatch();
            try {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    byte[] k = it.key();
                    AggregateKeys.Parsed p = AggregateKeys.parse(k);
                    if (p.resolution() == Resolution.SECOND) {
                        continue;
                    }
                    wb.put(rollups, RollupKeys.window(java.util.Arrays.copyOf(k, p.seriesEnd()), p.resolution(),
                            p.start()), it.value());
                    wb.delete(aggregates, k);
                    if (++moved % 10_000 == 0) {
                        db.write(wo, wb);
                        wb.close();
                        wb = new WriteBatch();
                    }
                }
                it.status();
                db.write(wo, wb);
            } finally {
                wb.close();
            }
        }
        log.info("moved {} rollup windows to their own column family (store schema version {})", moved,
                SCHEMA_VERSION);
    }

    public Path directory() {
        return dir;
    }

    public StoreOptions options() {
        return options;
    }

    /** Applies one batch; see {@link #applyAll}. */
    public ApplyResult apply(Batch batch) {
        return applyAll(List.of(batch), Map.of()).get(0);
    }

    /** Applies one batch read from Kafka and stores the consumer offsets with it; see {@link #applyAll}. */
    public ApplyResult apply(Batch batch, Map<KafkaPartition, Long> kafkaOffsets) {
        return applyAll(List.of(batch), kafkaOffsets).get(0);
    }

    /**
     * Applies {@code batches} in order, exactly once each, and stores {@code kafkaOffsets}, all in
     * one synced write (group commit). A malformed batch is REJECTED with a one-line reason and does
     * not keep the others from being applied.
     *
     * @return one result per batch, in order
     * @throws StoreException if the write fails; then none of the batches nor offsets was applied
     */
    public List<ApplyResult> applyAll(List<Batch> batches, Map<KafkaPartition, Long> kafkaOffsets) {
        Objects.requireNonNull(batches, "batches");
        List<WireBatch> wire = new ArrayList<>(batches.size());
        for (Batch b : batches) {
            wire.add(WireBatch.of(b));
        }
        return applyWire(wire, kafkaOffsets);
    }

    /**
     * {@link #applyAll} for batches read from their bytes ({@link WireBatch#decode}, where they
     * arrived), so that the writer does not read them.
     */
    public List<ApplyResult> applyWire(List<WireBatch> batches, Map<KafkaPartition, Long> kafkaOffsets) {
        Objects.requireNonNull(batches, "batches");
        Objects.requireNonNull(kafkaOffsets, "kafkaOffsets");
        return withOpen(() -> {
            synchronized (writeLock) {
                return ingest.apply(batches, kafkaOffsets);
            }
        });
    }

    /** The highest sequence applied for (host, session), empty before the first. */
    public OptionalLong appliedSequence(String host, String session) {
        AppliedState s = appliedState(host, session);
        return s.sequence() == 0 ? OptionalLong.empty() : OptionalLong.of(s.sequence());
    }

    /** What {@code host} lost of {@code session}, summed over the batches applied. */
    public Losses lost(String session, String host) {
        return appliedState(host, session).losses();
    }

    private AppliedState appliedState(String host, String session) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(session, "session");
        byte[] v = read(applied, AppliedKeys.sequence(host, session), "the applied state of host " + host);
        return v == null ? AppliedState.NONE : Ingest.decodeState(new Ingest.HostSession(host, session), v);
    }

    /** The Kafka consumer offsets stored with the batches, by partition. */
    public Map<KafkaPartition, Long> kafkaOffsets() {
        return withOpen(() -> {
            Map<KafkaPartition, Long> out = new LinkedHashMap<>();
            byte[] prefix = {(byte) AppliedKeys.KAFKA_OFFSETS};
            scan(applied, prefix, "Kafka offsets", (k, v) -> out.put(AppliedKeys.parseKafkaOffsetKey(k),
                    AppliedKeys.decodeLong(v)));
            return Collections.unmodifiableMap(out);
        });
    }

    /**
     * One stored window (all entries of a 1 s window merged), if any; for tests and tools, since
     * queries merge windows for you.
     */
    Optional<org.fleettap.aggregate.MergeableAggregate> window(String session, String name,
            List<org.fleettap.proto.v1.KeyPart> key, String host, Resolution r, long start) {
        byte[] series = AggregateKeys.series(session, name, key, host);
        if (r != Resolution.SECOND) {
            return withOpen(() -> {
                synchronized (writeLock) {
                    byte[] k = RollupKeys.window(series, r, start);
                    byte[] v = read(rollups, k, "a rollup window");
                    org.fleettap.aggregate.MergeableAggregate merged = v == null ? null : StoredAggregates.readRollup(k, v);
                    org.fleettap.aggregate.MergeableAggregate pending = ingest.pendingWindow(series, r, start);
                    if (merged == null) {
                        return Optional.ofNullable(pending);
                    }
                    if (pending != null) {
                        merged.merge(pending);
                    }
                    return Optional.of(merged);
                }
            });
        }
        byte[] prefix = AggregateKeys.window(series, r, start);
        return withOpen(() -> {
            org.fleettap.aggregate.MergeableAggregate merged = new org.fleettap.aggregate.MergeableAggregate();
            boolean[] found = {false};
            scan(aggregates, prefix, "a window", (k, v) -> {
                merged.merge(StoredAggregates.read(k, v));
                found[0] = true;
            });
            return found[0] ? Optional.of(merged) : Optional.empty();
        });
    }

    /** Counts of batches applied, duplicate and rejected since the store was opened. */
    public StoreStats stats() {
        return ingest.stats();
    }

    /** A statistic merged over a time range, grouped, optionally the top N; see {@link AggregateQuery}. */
    public AggregateResult aggregates(AggregateQuery query) {
        Objects.requireNonNull(query, "query");
        return withOpen(() -> queries.run(query));
    }

    /**
     * Output lines of a session printed at or after {@code fromUnixNanos}, by time (then host, then
     * order in the batch).
     *
     * @param hosts only these hosts; empty for all
     * @param limit at most this many lines
     */
    public List<OutputEvent> output(String session, Set<String> hosts, long fromUnixNanos, int limit) {
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(hosts, "hosts");
        if (limit < 0) {
            throw new IllegalArgumentException("negative limit " + limit);
        }
        return withOpen(() -> {
            List<OutputEvent> out = new ArrayList<>();
            byte[] prefix = OutputKeys.session(session);
            try (Slice upper = new Slice(OrderedKey.prefixEnd(prefix));
                    ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
                    RocksIterator it = db.newIterator(output, ro)) {
                for (it.seek(OutputKeys.sessionFrom(prefix, fromUnixNanos)); it.isValid() && out.size() < limit;
                        it.next()) {
                    OrderedKey.Reader r = new OrderedKey.Reader(it.key(), prefix.length);
                    long time = r.getLong();
                    String host = r.getString();
                    if (hosts.isEmpty() || hosts.contains(host)) {
                        out.add(OutputEvent.newBuilder().setHostId(host).setLine(OutputLine.newBuilder()
                                .setTimeUnixNanos(time).setText(new String(it.value(), StandardCharsets.UTF_8)))
                                .build());
                    }
                }
                it.status();
            } catch (RocksDBException e) {
                throw new StoreException("reading the output of session " + session + ": " + e.getMessage(), e);
            }
            return out;
        });
    }

    /** Stores (or replaces) a session, by its spec's session id. */
    public void putSession(SessionInfo session) {
        String id = session.getSpec().getSessionId();
        if (id.isEmpty()) {
            throw new IllegalArgumentException("session without session_id");
        }
        write(sessions, new OrderedKey.Writer().putString(id).toBytes(), session.toByteArray(), "session " + id);
    }

    public Optional<SessionInfo> session(String sessionId) {
        byte[] v = read(sessions, new OrderedKey.Writer().putString(sessionId).toBytes(), "session " + sessionId);
        return Optional.ofNullable(v == null ? null : parse(SessionInfo.parser(), v, "session " + sessionId));
    }

    /** Every session, by session id. */
    public List<SessionInfo> sessions() {
        return withOpen(() -> {
            List<SessionInfo> out = new ArrayList<>();
            scan(sessions, new byte[0], "sessions", (k, v) -> out.add(parse(SessionInfo.parser(), v, "a session")));
            return out;
        });
    }

    /** Stores (or replaces) an agent's registration, by host id. */
    public void putAgent(HostInfo agent) {
        String id = agent.getHostId();
        if (id.isEmpty()) {
            throw new IllegalArgumentException("agent without host_id");
        }
        write(agents, new OrderedKey.Writer().putString(id).toBytes(), agent.toByteArray(), "agent " + id);
    }

    public Optional<HostInfo> agent(String hostId) {
        byte[] v = read(agents, new OrderedKey.Writer().putString(hostId).toBytes(), "agent " + hostId);
        return Optional.ofNullable(v == null ? null : parse(HostInfo.parser(), v, "agent " + hostId));
    }

    /** Every agent, by host id. */
    public List<HostInfo> agents() {
        return withOpen(() -> {
            List<HostInfo> out = new ArrayList<>();
            scan(agents, new byte[0], "agents", (k, v) -> out.add(parse(HostInfo.parser(), v, "an agent")));
            return out;
        });
    }

    /**
     * The hosts that sent batches of {@code session} (applied, duplicate or with losses only), in
     * host id order. Reads one small entry per (host, session) the store knows.
     */
    public List<String> hosts(String session) {
        Objects.requireNonNull(session, "session");
        return withOpen(() -> {
            List<String> out = new ArrayList<>();
            scan(applied, new byte[] {(byte) AppliedKeys.SEQUENCES}, "the hosts of session " + session, (k, v) -> {
                OrderedKey.Reader r = new OrderedKey.Reader(k, 1);
                String host = r.getString();
                if (r.getString().equals(session)) {
                    out.add(host);
                }
            });
            return out;
        });
    }

    /**
     * Output lines of a session in stored order (time, host, sequence, index), with the batch each
     * came from, for reading a session's output in pages: pass the last line of a page as
     * {@code after} to read the next one.
     *
     * @param hosts only these hosts; empty for all
     * @param fromUnixNanos only lines printed at or after this time
     * @param after only lines stored after this one; null to start at {@code fromUnixNanos}
     * @param limit at most this many lines
     */
    public List<StoredLine> outputLines(String session, Set<String> hosts, long fromUnixNanos, StoredLine after,
            int limit) {
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(hosts, "hosts");
        if (limit < 0) {
            throw new IllegalArgumentException("negative limit " + limit);
        }
        return withOpen(() -> {
            List<StoredLine> out = new ArrayList<>();
            byte[] prefix = OutputKeys.session(session);
            byte[] start = OutputKeys.sessionFrom(prefix, fromUnixNanos);
            byte[] afterKey = null;
            if (after != null) {
                afterKey = OutputKeys.line(session, after.line().getTimeUnixNanos(), after.host(), after.sequence(),
                        after.index());
                if (java.util.Arrays.compareUnsigned(afterKey, start) >= 0) {
                    start = afterKey;
                }
            }
            try (Slice upper = new Slice(OrderedKey.prefixEnd(prefix));
                    ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
                    RocksIterator it = db.newIterator(output, ro)) {
                for (it.seek(start); it.isValid() && out.size() < limit; it.next()) {
                    byte[] key = it.key();
                    if (afterKey != null && java.util.Arrays.equals(key, afterKey)) {
                        continue;
                    }
                    OrderedKey.Reader r = new OrderedKey.Reader(key, prefix.length);
                    long time = r.getLong();
                    String host = r.getString();
                    long sequence = r.getLong();
                    int index = r.getInt();
                    if (hosts.isEmpty() || hosts.contains(host)) {
                        out.add(new StoredLine(host, sequence, index, OutputLine.newBuilder().setTimeUnixNanos(time)
                                .setText(new String(it.value(), StandardCharsets.UTF_8)).build()));
                    }
                }
                it.status();
            } catch (RocksDBException e) {
                throw new StoreException("reading the output of session " + session + ": " + e.getMessage(), e);
            }
            return out;
        });
    }

    /**
     * Stores (or replaces) the control plane's record of an agent host. With {@code sync} false the
     * write is not fsynced (a crash may lose it): for frequent updates such as heartbeats.
     */
    public void putAgentRecord(String hostId, byte[] record, boolean sync) {
        putRecord(REGISTRY_AGENT, hostId, record, sync, "the record of agent " + hostId);
    }

    /** Every agent record, by host id (in host id order). */
    public Map<String, byte[]> agentRecords() {
        return records(REGISTRY_AGENT, "agent records");
    }

    /** Stores (or replaces) the control plane's record of a session, synced. */
    public void putSessionRecord(String sessionId, byte[] record) {
        putRecord(REGISTRY_SESSION, sessionId, record, true, "the record of session " + sessionId);
    }

    /** Every session record, by session id (in session id order). */
    public Map<String, byte[]> sessionRecords() {
        return records(REGISTRY_SESSION, "session records");
    }

    /**
     * Appends {@code entry} to the audit log, synced, keyed by its time (and a sequence that orders entries of the
     * same nanosecond).
     */
    public void appendAudit(AuditEntry entry) {
        if (entry.getTimeUnixNanos() < 0) {
            throw new IllegalArgumentException("audit entry before 1970: " + entry.getTimeUnixNanos());
        }
        byte[] key = new OrderedKey.Writer().putLong(entry.getTimeUnixNanos()).putLong(auditSequence.incrementAndGet())
                .toBytes();
        write(audit, key, entry.toByteArray(), "an audit entry");
    }

    /**
     * Audit entries with {@code since <= time < until} (until 0: no bound), oldest first, at most {@code limit}.
     */
    public List<AuditEntry> audit(long sinceUnixNanos, long untilUnixNanos, int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        return withOpen(() -> {
            List<AuditEntry> out = new ArrayList<>();
            byte[] from = new OrderedKey.Writer().putLong(Math.max(0, sinceUnixNanos)).toBytes();
            try (ReadOptions ro = new ReadOptions(); RocksIterator it = db.newIterator(audit, ro)) {
                for (it.seek(from); it.isValid() && out.size() < limit; it.next()) {
                    AuditEntry e = parse(AuditEntry.parser(), it.value(), "an audit entry");
                    if (untilUnixNanos != 0 && e.getTimeUnixNanos() >= untilUnixNanos) {
                        break;
                    }
                    out.add(e);
                }
                it.status();
            } catch (RocksDBException e) {
                throw new StoreException("reading the audit log: " + e.getMessage(), e);
            }
            return out;
        });
    }

    private void putRecord(int kind, String id, byte[] record, boolean sync, String what) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(record, "record");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("empty id for " + what);
        }
        byte[] key = new OrderedKey.Writer().putByte(kind).putString(id).toBytes();
        withOpen(() -> {
            try {
                db.put(registry, sync ? syncWrites : unsyncedWrites, key, record);
                return null;
            } catch (RocksDBException e) {
                throw new StoreException("writing " + what + ": " + e.getMessage(), e);
            }
        });
    }

    private Map<String, byte[]> records(int kind, String what) {
        return withOpen(() -> {
            Map<String, byte[]> out = new LinkedHashMap<>();
            scan(registry, new byte[] {(byte) kind}, what,
                    (k, v) -> out.put(new OrderedKey.Reader(k, 1).getString(), v));
            return Collections.unmodifiableMap(out);
        });
    }

    /**
     * Deletes windows older than their resolution's retention and output lines older than the
     * output retention, measured from the options' clock.
     *
     * @return the number of ranges deleted (one per series and resolution, and per session's output)
     */
    public int compactExpired() {
        return withOpen(() -> {
            synchronized (writeLock) {
                long now = options.nowUnixNanos();
                try {
                    // Retention may delete 1 s entries whose deltas are pending: write them first.
                    ingest.flushAll();
                    ingest.clearCaches();
                    int ranges = Retention.compact(db, aggregates, rollups, output, options, now, syncWrites);
                    log.debug("retention: deleted {} ranges in {}", ranges, dir);
                    return ranges;
                } catch (RocksDBException e) {
                    throw new StoreException("deleting expired data in " + dir + ": " + e.getMessage(), e);
                }
            }
        });
    }

    /**
     * Closes the database as a crash would after the last write: without writing the pending rollup
     * windows. For tests of recovery.
     */
    void closeWithoutFlushing() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                closeAll(resources);
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    /** Closes the database (waiting for running calls), writing the pending rollup windows first. Idempotent. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            synchronized (writeLock) {
                try {
                    ingest.flushAll();
                } catch (StoreException e) {
                    log.warn("closing store at {}: pending rollup windows not written (they will be when it opens)",
                            dir, e);
                }
            }
            closeAll(resources);
            log.info("closed store at {}", dir);
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    private interface Call<T> {
        T run();
    }

    private <T> T withOpen(Call<T> call) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("store at " + dir + " is closed");
            }
            return call.run();
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private byte[] read(ColumnFamilyHandle cf, byte[] key, String what) {
        return withOpen(() -> {
            try {
                return db.get(cf, key);
            } catch (RocksDBException e) {
                throw new StoreException("reading " + what + ": " + e.getMessage(), e);
            }
        });
    }

    private void write(ColumnFamilyHandle cf, byte[] key, byte[] value, String what) {
        withOpen(() -> {
            try {
                db.put(cf, syncWrites, key, value);
                return null;
            } catch (RocksDBException e) {
                throw new StoreException("writing " + what + ": " + e.getMessage(), e);
            }
        });
    }

    private interface Visitor {
        void visit(byte[] key, byte[] value);
    }

    private void scan(ColumnFamilyHandle cf, byte[] prefix, String what, Visitor visitor) {
        try (ReadOptions ro = new ReadOptions(); RocksIterator it = db.newIterator(cf, ro)) {
            for (it.seek(prefix); it.isValid() && OrderedKey.startsWith(it.key(), prefix); it.next()) {
                visitor.visit(it.key(), it.value());
            }
            it.status();
        } catch (RocksDBException e) {
            throw new StoreException("reading " + what + ": " + e.getMessage(), e);
        }
    }

    private static <M extends MessageLite> M parse(Parser<M> parser, byte[] bytes, String what) {
        try {
            return parser.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException("reading " + what + ": " + e.getMessage(), e);
        }
    }

    private static <T extends RocksObject> T track(List<AutoCloseable> resources, T o) {
        resources.add(o);
        return o;
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                log.warn("closing a RocksDB resource", e);
            }
        }
        resources.clear();
    }
}
