package org.fleettap.agent.transport;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fleettap.proto.v1.Batch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded on-disk queue of batches, in the order they were appended: the transports' write-ahead
 * log. Every batch a transport sends is appended here first and released when the collector (or
 * Kafka) acknowledged it, so batches survive a broken stream, an unreachable collector and a
 * restart of the agent, and are replayed strictly in order.
 *
 * <p>The directory holds segment files {@code NNNNNNNNNNNNNNNNNNNN.seg} (20-digit increasing
 * numbers; format in {@link SpoolFormat}), written append-only and never reopened for writing; a
 * segment file is deleted once all its batches are released. {@code dropped} holds the drop counts
 * not yet reported ({@link DropLedger}), and {@code lock} is held while the spool is open, so two
 * agents cannot share a directory.
 *
 * <p><b>Bound.</b> When appending a batch would make the files larger than {@link
 * SpoolConfig#maxBytes()}, the oldest segment holding no batch that is in flight is deleted and its
 * batches are dropped, until the batch fits (a batch larger than the whole bound is itself
 * dropped). Drops are counted per (host, session) and the count is sealed into the next batch of
 * that (host, session) appended (it is added to {@code spool_dropped_batches}, so the collector
 * learns how many batches it will never see); a dropped batch that itself carried such a count hands
 * it on. A batch is sealed once, when appended, and replayed byte for byte, so a resend is always
 * identical. A drop may count a batch the collector did apply, when the batch had been sent on a
 * stream that broke before its acknowledgement arrived.
 *
 * <p><b>Restart.</b> Opening a spool scans its segments and replays every intact batch that was
 * not released. Acknowledgements are not written to disk: a batch acknowledged in a segment that
 * also holds unacknowledged ones is sent again after a restart (the collector answers {@code
 * DUPLICATE}). Damaged records (checksum mismatch) are skipped and counted; one whose (host,
 * session) still reads and is the session of an intact batch in the spool is also counted as a drop
 * of that session, so the collector learns of it like the spool's other drops. A record cut short at
 * the end of a segment (a crash during a write) is counted as truncated, and a file that is not a
 * segment is counted and deleted; none of these stops the spool.
 *
 * <p>Thread-safe. The transports call {@link #append}, {@link #next}, {@link #ack} and {@link
 * #rewind} from their one thread; {@link #stats} may be called from anywhere.
 */
public final class Spool implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Spool.class);
    static final String SEGMENT_SUFFIX = ".seg";
    static final String LOCK_FILE = "lock";
    private static final Pattern SEGMENT_NAME = Pattern.compile("(\\d{20})\\.seg");
    private static final long DROP_WARNING_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private enum State {
        PENDING,
        SENT,
        RELEASED
    }

    private static final class Segment {
        final long id;
        final Path path;
        final List<Entry> entries = new ArrayList<>();
        FileChannel channel;
        long size;
        int live;
        int sent;

        Segment(long id, Path path) {
            this.id = id;
            this.path = path;
        }
    }

    private static final class Entry {
        final Segment segment;
        final int offset;
        final int length;
        final BatchKey key;
        /** The batch's spool_dropped_batches: handed on when the batch itself is dropped. */
        final long carried;
        State state = State.PENDING;
        /** The next live entry with the same key (a key appended twice: an exporter bug, tolerated). */
        Entry sameKey;

        Entry(Segment segment, int offset, int length, BatchKey key, long carried) {
            this.segment = segment;
            this.offset = offset;
            this.length = length;
            this.key = key;
            this.carried = carried;
        }
    }

    private final Object lock = new Object();
    private final SpoolConfig config;
    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock fileLock;
    private final ArrayDeque<Segment> segments = new ArrayDeque<>();
    /** Entries not sent yet, in order; released entries are skipped lazily. */
    private final ArrayDeque<Entry> pending = new ArrayDeque<>();
    /** Entries sent and not yet acknowledged, in the order they were sent. */
    private final ArrayDeque<Entry> sent = new ArrayDeque<>();
    private final Map<BatchKey, Entry> index = new HashMap<>();
    private final List<Segment> unsynced = new ArrayList<>();
    private DropLedger drops;
    private Segment active;
    private long nextSegmentId = 1;
    private long fileBytes;
    private long live;
    private long droppedBatches;
    private long corruptRecords;
    private long truncatedRecords;
    private long unreadableSegments;
    private long lastDropWarningNanos;
    private long dropsSinceWarning;
    private boolean closed;

    private Spool(SpoolConfig config, FileChannel lockChannel, FileLock fileLock) {
        this.config = config;
        this.dir = config.directory();
        this.lockChannel = lockChannel;
        this.fileLock = fileLock;
    }

    /**
     * Opens (or creates) the spool in {@code config.directory()} and recovers what it holds.
     *
     * @throws IOException if the directory cannot be created or read, or another spool has it open
     */
    public static Spool open(SpoolConfig config) throws IOException {
        Path dir = config.directory();
        FileChannel lockChannel;
        try {
            Files.createDirectories(dir);
            lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException("opening spool " + dir + ": " + e.getMessage(), e);
        }
        FileLock fileLock;
        try {
            fileLock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            fileLock = null;
        } catch (IOException e) {
            closeQuietly(lockChannel);
            throw new IOException("locking spool " + dir + ": " + e.getMessage(), e);
        }
        if (fileLock == null) {
            closeQuietly(lockChannel);
            throw new IOException("spool " + dir + " is in use by another spool (" + LOCK_FILE + " is locked)");
        }
        Spool spool = new Spool(config, lockChannel, fileLock);
        try {
            spool.recover();
        } catch (IOException | RuntimeException e) {
            spool.close();
            throw new IOException("recovering spool " + dir + ": " + e.getMessage(), e);
        }
        return spool;
    }

    public Path directory() {
        return dir;
    }

    public SpoolConfig config() {
        return config;
    }

    public SpoolStats stats() {
        synchronized (lock) {
            return new SpoolStats(live, fileBytes, droppedBatches, drops == null ? 0 : drops.total(),
                    corruptRecords, truncatedRecords, unreadableSegments);
        }
    }

    /** Drop counts not yet sealed into a batch, per (host, session). */
    Map<SessionKey, Long> unreportedDrops() {
        synchronized (lock) {
            return drops.snapshot();
        }
    }

    /**
     * Seals {@code batch} (adds the drops pending for its (host, session) to its {@code
     * spool_dropped_batches}) and appends it, dropping the oldest segments if the bound requires.
     *
     * @return the batch as written, or {@code null} if it was dropped because it is larger than the
     *     whole bound (counted)
     * @throws IOException if it could not be written; the batch is then dropped and counted
     */
    Batch append(Batch batch) throws IOException {
        synchronized (lock) {
            ensureOpen();
            SessionKey session = SessionKey.of(batch);
            long taken = drops.pending(session);
            Batch sealed = seal(batch, taken);
            byte[] payload = sealed.toByteArray();
            try {
                while (true) {
                    long needed = SpoolFormat.RECORD_HEADER_BYTES + (long) payload.length
                            + (needsNewSegment(payload.length) ? SpoolFormat.SEGMENT_HEADER_BYTES : 0);
                    if (fileBytes + needed <= config.maxBytes() && payload.length <= SpoolFormat.MAX_PAYLOAD_BYTES) {
                        break;
                    }
                    Segment victim = payload.length > SpoolFormat.MAX_PAYLOAD_BYTES ? null : oldestDroppable();
                    if (victim == null) {
                        dropUnwritten(batch, segments.isEmpty() || payload.length > SpoolFormat.MAX_PAYLOAD_BYTES
                                ? "its " + payload.length + " bytes do not fit in the spool's bound of "
                                        + config.maxBytes() + " bytes"
                                : "the spool is full and every segment holds batches in flight");
                        return null;
                    }
                    dropSegment(victim);
                    long now = drops.pending(session);
                    if (now != taken) {
                        taken = now;
                        sealed = seal(batch, taken);
                        payload = sealed.toByteArray();
                    }
                }
                try {
                    write(sealed, payload);
                } catch (IOException e) {
                    dropUnwritten(batch, e.getMessage());
                    throw e;
                }
                drops.subtract(session, taken);
                return sealed;
            } finally {
                persistLedger();
            }
        }
    }

    /**
     * The oldest batch not sent yet (now counted as sent), as it was written, or {@code null} if every
     * batch was sent.
     */
    SpooledBatch next() {
        synchronized (lock) {
            ensureOpen();
            try {
                Entry e;
                while ((e = pending.pollFirst()) != null) {
                    if (e.state != State.PENDING) {
                        continue;
                    }
                    SpooledBatch batch = read(e);
                    if (batch == null) {
                        continue;
                    }
                    e.state = State.SENT;
                    e.segment.sent++;
                    sent.addLast(e);
                    return batch;
                }
                return null;
            } finally {
                persistLedger();
            }
        }
    }

    /** Whether {@link #next} has a batch to give. */
    boolean hasUnsent() {
        synchronized (lock) {
            trimPending();
            return !pending.isEmpty();
        }
    }

    /** Batches given by {@link #next} and neither acknowledged nor rewound. */
    int inFlight() {
        synchronized (lock) {
            return sent.size();
        }
    }

    /**
     * Releases the batch with this key (the oldest, should it have been appended twice): it was
     * applied, or will never be. Deletes its segment when that was the last live batch in it.
     *
     * @return whether the spool held such a batch
     */
    boolean ack(BatchKey key) {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            Entry e = index.get(key);
            if (e == null) {
                return false;
            }
            if (e.state == State.SENT) {
                sent.removeFirstOccurrence(e);
            }
            release(e);
            if (e.segment.live == 0) {
                deleteSegment(e.segment);
            }
            trimPending();
            return true;
        }
    }

    /** Makes every batch sent and not acknowledged unsent again: {@link #next} gives them again, in order. */
    void rewind() {
        synchronized (lock) {
            for (Iterator<Entry> it = sent.descendingIterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (e.state == State.SENT) {
                    e.state = State.PENDING;
                    e.segment.sent--;
                    pending.addFirst(e);
                }
            }
            sent.clear();
        }
    }

    /** Counts batches lost before they reached the spool (a transport's full queue), to report later. */
    void recordDropped(SessionKey session, long batches) {
        synchronized (lock) {
            ensureOpen();
            drops.add(session, batches);
            persistLedger();
        }
    }

    /** Forces what was appended to disk. */
    void sync() throws IOException {
        synchronized (lock) {
            ensureOpen();
            for (Iterator<Segment> it = unsynced.iterator(); it.hasNext(); ) {
                Segment s = it.next();
                if (s.channel != null && s.channel.isOpen()) {
                    try {
                        s.channel.force(false);
                    } catch (IOException e) {
                        throw new IOException("syncing spool segment " + s.path + ": " + e.getMessage(), e);
                    }
                }
                it.remove();
            }
        }
    }

    /** Syncs and closes the files; what was not acknowledged stays for the next {@link #open}. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            try {
                sync();
            } catch (IOException e) {
                log.warn("closing spool {}: {}", dir, e.getMessage(), e);
            }
            closed = true;
            for (Segment s : segments) {
                closeQuietly(s.channel);
                s.channel = null;
            }
            if (drops != null) {
                persistLedger();
            }
            try {
                fileLock.release();
            } catch (IOException e) {
                log.warn("releasing the lock of spool {}", dir, e);
            }
            closeQuietly(lockChannel);
        }
    }

    // ---- recovery

    private void recover() throws IOException {
        TreeMap<Long, Path> files = new TreeMap<>();
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(dir)) {
            for (Path p : listing) {
                Matcher m = SEGMENT_NAME.matcher(p.getFileName().toString());
                if (m.matches()) {
                    files.put(Long.parseLong(m.group(1)), p);
                }
            }
        }
        List<SessionKey> damagedOf = new ArrayList<>();
        for (Map.Entry<Long, Path> f : files.entrySet()) {
            recoverSegment(f.getKey(), f.getValue(), damagedOf);
            nextSegmentId = f.getKey() + 1;
        }
        drops = DropLedger.load(dir);
        reportDamaged(damagedOf);
        if (live > 0 || corruptRecords > 0 || truncatedRecords > 0 || unreadableSegments > 0 || drops.total() > 0) {
            log.info("spool {}: {} batches to replay in {} segments ({} bytes); {} damaged regions, {} truncated"
                            + " records, {} unreadable segments skipped; {} drops not yet reported",
                    dir, live, segments.size(), fileBytes, corruptRecords, truncatedRecords, unreadableSegments,
                    drops.total());
        }
    }

    /**
     * Damaged batches whose (host, session) still reads and is the session of an intact batch in the spool are
     * counted as drops of that session, so the collector learns of them with its next batch as of the spool's other
     * drops. The others (identity unreadable, or naming a session the spool does not hold, which the damage may have
     * made up) stay counted in {@link SpoolStats#corruptRecords()} only.
     */
    private void reportDamaged(List<SessionKey> damagedOf) throws IOException {
        if (damagedOf.isEmpty()) {
            return;
        }
        java.util.Set<SessionKey> known = new java.util.HashSet<>();
        for (Entry e : pending) {
            known.add(e.key.session());
        }
        int reported = 0;
        for (SessionKey k : damagedOf) {
            if (known.contains(k)) {
                countDrop(k, 0);
                reported++;
            }
        }
        if (reported > 0) {
            drops.persist();
        }
        log.warn("spool {}: {} damaged batches counted as drops of their sessions (reported to the collector),"
                + " {} of unknown session", dir, reported, damagedOf.size() - reported);
    }

    /** The identity of each damaged batch whose record still held it goes to {@code damagedOf}. */
    private void recoverSegment(long id, Path path, List<SessionKey> damagedOf) throws IOException {
        byte[] bytes = Files.readAllBytes(path);
        SpoolFormat.Scan scan = SpoolFormat.scan(ByteBuffer.wrap(bytes));
        for (SpoolFormat.Frame f : scan.damaged()) {
            SessionKey.readFrom(bytes, f.payloadOffset(), f.length()).ifPresent(damagedOf::add);
        }
        corruptRecords += scan.corrupt();
        truncatedRecords += scan.truncated();
        if (scan.header() == SpoolFormat.Header.BAD) {
            unreadableSegments++;
            log.warn("spool segment {} ({} bytes) does not start with a spool segment header; deleting it",
                    path, bytes.length);
            Files.deleteIfExists(path);
            return;
        }
        Segment seg = new Segment(id, path);
        seg.size = bytes.length;
        int damaged = 0;
        for (SpoolFormat.Frame f : scan.frames()) {
            Batch batch;
            try {
                batch = Batch.parseFrom(ByteBuffer.wrap(bytes, f.payloadOffset(), f.length()));
            } catch (InvalidProtocolBufferException e) {
                corruptRecords++;
                damaged++;
                SessionKey.readFrom(bytes, f.payloadOffset(), f.length()).ifPresent(damagedOf::add);
                log.warn("spool segment {}: record at offset {} is not a batch; skipping it", path, f.offset(), e);
                continue;
            }
            Entry e = new Entry(seg, f.offset(), f.length(), BatchKey.of(batch), batch.getSpoolDroppedBatches());
            seg.entries.add(e);
            seg.live++;
            live++;
            pending.addLast(e);
            indexPut(e);
        }
        if (scan.corrupt() + damaged > 0 || scan.truncated() > 0) {
            log.warn("spool segment {}: skipped {} damaged regions and {} truncated records; {} batches intact",
                    path, scan.corrupt() + damaged, scan.truncated(), seg.live);
        }
        if (seg.live == 0) {
            Files.deleteIfExists(path);
            return;
        }
        segments.addLast(seg);
        fileBytes += seg.size;
    }

    // ---- writing

    private boolean needsNewSegment(int payloadLength) {
        return active == null
                || (active.size > SpoolFormat.SEGMENT_HEADER_BYTES
                        && active.size + SpoolFormat.RECORD_HEADER_BYTES + payloadLength > config.segmentBytes());
    }

    private void write(Batch sealed, byte[] payload) throws IOException {
        if (needsNewSegment(payload.length)) {
            roll();
        }
        Segment seg = active;
        int offset = (int) seg.size;
        ByteBuffer record = SpoolFormat.record(payload);
        try {
            writeFully(seg.channel, record, offset);
        } catch (IOException e) {
            active = null;
            try {
                seg.channel.truncate(offset);
            } catch (IOException t) {
                e.addSuppressed(t);
            }
            if (seg.live == 0) {
                deleteSegment(seg);
            }
            throw new IOException("writing batch " + BatchKey.of(sealed) + " to spool segment " + seg.path + ": "
                    + e.getMessage(), e);
        }
        seg.size += record.limit();
        fileBytes += record.limit();
        Entry e = new Entry(seg, offset, payload.length, BatchKey.of(sealed), sealed.getSpoolDroppedBatches());
        seg.entries.add(e);
        seg.live++;
        live++;
        pending.addLast(e);
        indexPut(e);
    }

    private void roll() throws IOException {
        Path path = dir.resolve(String.format("%020d%s", nextSegmentId, SEGMENT_SUFFIX));
        Segment seg = new Segment(nextSegmentId++, path);
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException("creating spool segment " + path + ": " + e.getMessage(), e);
        }
        try {
            writeFully(ch, SpoolFormat.segmentHeader(), 0);
        } catch (IOException e) {
            closeQuietly(ch);
            Files.deleteIfExists(path);
            throw new IOException("writing the header of spool segment " + path + ": " + e.getMessage(), e);
        }
        seg.channel = ch;
        seg.size = SpoolFormat.SEGMENT_HEADER_BYTES;
        segments.addLast(seg);
        unsynced.add(seg);
        fileBytes += seg.size;
        active = seg;
    }

    private static Batch seal(Batch batch, long drops) {
        if (drops == 0) {
            return batch;
        }
        return batch.toBuilder().setSpoolDroppedBatches(batch.getSpoolDroppedBatches() + drops).build();
    }

    // ---- reading

    /** The entry's record, checked against its checksums (it parsed when it was appended or recovered). */
    private SpooledBatch read(Entry e) {
        byte[] record = new byte[SpoolFormat.RECORD_HEADER_BYTES + e.length];
        ByteBuffer buf = ByteBuffer.wrap(record);
        try {
            readFully(channel(e.segment), buf, e.offset);
        } catch (IOException ex) {
            log.error("reading batch {} from spool segment {} at offset {} failed; dropping it",
                    e.key, e.segment.path, e.offset, ex);
            lose(e);
            return null;
        }
        buf.flip();
        if (!SpoolFormat.intact(buf, new SpoolFormat.Frame(0, e.length))) {
            corruptRecords++;
            log.warn("batch {} in spool segment {} at offset {} was damaged on disk; dropping it",
                    e.key, e.segment.path, e.offset);
            lose(e);
            return null;
        }
        return new SpooledBatch(e.key, record, SpoolFormat.RECORD_HEADER_BYTES, e.length);
    }

    private FileChannel channel(Segment seg) throws IOException {
        if (seg.channel == null) {
            seg.channel = FileChannel.open(seg.path, StandardOpenOption.READ);
        }
        return seg.channel;
    }

    // ---- releasing and dropping

    private void release(Entry e) {
        if (e.state == State.SENT) {
            e.segment.sent--;
        }
        e.state = State.RELEASED;
        unindex(e);
        e.segment.live--;
        live--;
    }

    /** A batch that is gone for good although never acknowledged: counted and reported. */
    private void lose(Entry e) {
        release(e);
        countDrop(e.key.session(), e.carried);
        if (e.segment.live == 0) {
            deleteSegment(e.segment);
        }
    }

    private void dropUnwritten(Batch batch, String why) {
        countDrop(SessionKey.of(batch), batch.getSpoolDroppedBatches());
        log.warn("dropped batch {} instead of spooling it: {}", BatchKey.of(batch), why);
    }

    private Segment oldestDroppable() {
        for (Segment s : segments) {
            if (s.sent == 0) {
                return s;
            }
        }
        return null;
    }

    private void dropSegment(Segment victim) {
        int n = 0;
        for (Entry e : victim.entries) {
            if (e.state != State.RELEASED) {
                release(e);
                countDrop(e.key.session(), e.carried);
                n++;
            }
        }
        dropsSinceWarning += n;
        deleteSegment(victim);
        trimPending();
        long now = System.nanoTime();
        if (lastDropWarningNanos == 0 || now - lastDropWarningNanos >= DROP_WARNING_INTERVAL_NANOS) {
            log.warn("spool {} is full ({} bytes): dropped the oldest {} batches since the last warning, {} since"
                    + " it was opened", dir, config.maxBytes(), dropsSinceWarning, droppedBatches);
            lastDropWarningNanos = now;
            dropsSinceWarning = 0;
        }
    }

    /** Counts one lost batch of {@code session} (which carried {@code carried} earlier drops). */
    private void countDrop(SessionKey session, long carried) {
        droppedBatches++;
        drops.add(session, 1 + carried);
    }

    private void deleteSegment(Segment seg) {
        segments.remove(seg);
        unsynced.remove(seg);
        if (active == seg) {
            active = null;
        }
        closeQuietly(seg.channel);
        seg.channel = null;
        fileBytes -= seg.size;
        try {
            Files.deleteIfExists(seg.path);
        } catch (IOException e) {
            log.warn("deleting released spool segment {}", seg.path, e);
        }
    }

    private void trimPending() {
        while (!pending.isEmpty() && pending.peekFirst().state != State.PENDING) {
            pending.pollFirst();
        }
    }

    private void indexPut(Entry e) {
        Entry head = index.putIfAbsent(e.key, e);
        if (head != null) {
            log.warn("batch {} appended to spool {} while an earlier copy is not yet acknowledged", e.key, dir);
            while (head.sameKey != null) {
                head = head.sameKey;
            }
            head.sameKey = e;
        }
    }

    private void unindex(Entry e) {
        Entry head = index.get(e.key);
        if (head == e) {
            if (e.sameKey == null) {
                index.remove(e.key);
            } else {
                index.put(e.key, e.sameKey);
            }
        } else {
            while (head != null && head.sameKey != e) {
                head = head.sameKey;
            }
            if (head != null) {
                head.sameKey = e.sameKey;
            }
        }
        e.sameKey = null;
    }

    private void persistLedger() {
        try {
            drops.persist();
        } catch (IOException e) {
            log.warn("writing the drop ledger of spool {} failed; its counts are kept in memory", dir, e);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("spool " + dir + " is closed");
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            p += ch.write(b, p);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, p);
            if (n < 0) {
                throw new IOException("unexpected end of file at offset " + p);
            }
            p += n;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                log.debug("closing a spool file", e);
            }
        }
    }
}
