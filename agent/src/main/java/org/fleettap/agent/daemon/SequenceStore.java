package org.fleettap.agent.daemon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;

/**
 * The last batch sequence number each session used on this host, kept on disk (one small file per session,
 * replaced atomically and synced) so that an agent that restarts continues the numbering: the collector
 * applies each (host, session, sequence) once, and would take a restarted count from 1 for resends.
 */
public final class SequenceStore {
    private final Path dir;

    public SequenceStore(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("creating the sequence directory " + dir, e);
        }
    }

    /** The last sequence saved for {@code sessionId}, 0 if none. */
    public long last(String sessionId) {
        Path f = file(sessionId);
        try {
            return Long.parseLong(Files.readString(f, StandardCharsets.US_ASCII).strip());
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("reading " + f + ": " + e.getMessage(), e);
        }
    }

    /** Records that {@code sequence} was used; durable when this returns. */
    public void save(String sessionId, long sequence) {
        Path f = file(sessionId);
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(Long.toString(sequence).getBytes(StandardCharsets.US_ASCII)));
                ch.force(true);
            }
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("saving the sequence of session " + sessionId + " in " + f, e);
        }
    }

    private Path file(String sessionId) {
        String name = sessionId.matches("[A-Za-z0-9._-]{1,100}") && !sessionId.startsWith(".") ? sessionId
                : HexFormat.of().formatHex(sessionId.getBytes(StandardCharsets.UTF_8));
        return dir.resolve(name + ".seq");
    }
}
