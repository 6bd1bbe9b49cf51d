package org.fleettap.agent.transport;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops not yet reported to the collector, per (host, session), kept in memory and in a small file
 * of the spool directory so that a restart does not lose them.
 *
 * <pre>
 * file  := magic:u32 = 0x46544452 ("FTDR")  version:u32 = 1  count:u32  entry*  crc:u32
 * entry := host:utf  session:utf  dropped:u64     (utf: java.io.DataOutput.writeUTF)
 * </pre>
 *
 * {@code crc} is the CRC32C of everything before it. The file is replaced atomically (written
 * beside it, forced, renamed over it) and deleted when nothing is pending. Not thread-safe: the
 * {@link Spool} that owns it locks.
 */
final class DropLedger {
    private static final Logger log = LoggerFactory.getLogger(DropLedger.class);
    static final String FILE_NAME = "dropped";
    private static final int MAGIC = 0x46544452;
    private static final int VERSION = 1;

    private final Path file;
    private final Path temp;
    private final Map<SessionKey, Long> pending = new LinkedHashMap<>();
    private boolean dirty;

    private DropLedger(Path dir) {
        this.file = dir.resolve(FILE_NAME);
        this.temp = dir.resolve(FILE_NAME + ".tmp");
    }

    /** The ledger of {@code dir}; a damaged file is logged and read as empty. */
    static DropLedger load(Path dir) throws IOException {
        DropLedger ledger = new DropLedger(dir);
        Files.deleteIfExists(ledger.temp);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(ledger.file);
        } catch (NoSuchFileException e) {
            return ledger;
        }
        try {
            ledger.pending.putAll(decode(bytes));
        } catch (IOException e) {
            log.warn("spool drop ledger {} is damaged; unreported drop counts in it are lost", ledger.file, e);
            ledger.dirty = true;
        }
        return ledger;
    }

    long pending(SessionKey session) {
        return pending.getOrDefault(session, 0L);
    }

    long total() {
        long t = 0;
        for (long n : pending.values()) {
            t += n;
        }
        return t;
    }

    Map<SessionKey, Long> snapshot() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(pending));
    }

    void add(SessionKey session, long n) {
        if (n > 0) {
            pending.merge(session, n, Long::sum);
            dirty = true;
        }
    }

    /** Takes {@code n} of the session's pending count (the part now carried by a batch). */
    void subtract(SessionKey session, long n) {
        if (n <= 0) {
            return;
        }
        long left = pending(session) - n;
        if (left < 0) {
            throw new IllegalStateException("taking " + n + " drops of " + session + " with " + pending(session) + " pending");
        }
        if (left == 0) {
            pending.remove(session);
        } else {
            pending.put(session, left);
        }
        dirty = true;
    }

    /** Writes the ledger if it changed since the last write. */
    void persist() throws IOException {
        if (!dirty) {
            return;
        }
        if (pending.isEmpty()) {
            Files.deleteIfExists(file);
        } else {
            byte[] bytes = encode(pending);
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        dirty = false;
    }

    static byte[] encode(Map<SessionKey, Long> counts) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(counts.size());
            for (Map.Entry<SessionKey, Long> e : counts.entrySet()) {
                out.writeUTF(e.getKey().hostId());
                out.writeUTF(e.getKey().sessionId());
                out.writeLong(e.getValue());
            }
            out.flush();
            out.writeInt(SpoolFormat.crc(bytes.toByteArray(), 0, bytes.size()));
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory", e);
        }
        return bytes.toByteArray();
    }

    static Map<SessionKey, Long> decode(byte[] bytes) throws IOException {
        if (bytes.length < 16) {
            throw new IOException("drop ledger of " + bytes.length + " bytes is too short");
        }
        int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt();
        if (stored != SpoolFormat.crc(bytes, 0, bytes.length - 4)) {
            throw new IOException("drop ledger checksum mismatch");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - 4));
        if (in.readInt() != MAGIC || in.readInt() != VERSION) {
            throw new IOException("not a version " + VERSION + " drop ledger");
        }
        int n = in.readInt();
        Map<SessionKey, Long> counts = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            SessionKey key = new SessionKey(in.readUTF(), in.readUTF());
            long count = in.readLong();
            if (count <= 0) {
                throw new IOException("drop ledger entry " + i + " (" + key + ") has count " + count);
            }
            counts.merge(key, count, Long::sum);
        }
        if (in.available() != 0) {
            throw new IOException("drop ledger has " + in.available() + " bytes after its " + n + " entries");
        }
        return counts;
    }
}
