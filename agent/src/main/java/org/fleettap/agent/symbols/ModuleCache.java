package org.fleettap.agent.symbols;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.elf.ElfFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opened ELF files, by path (re-opened when the file changes), and what is derived from them, by build-id: the
 * same library seen by many processes is indexed once.
 */
public final class ModuleCache {
    private static final Logger log = LoggerFactory.getLogger(ModuleCache.class);

    /** The file's identity (device and inode), so one file reached by several paths is opened once. */
    private record Key(Object fileKey, long size, long mtime) {
    }

    private final Map<Key, Optional<ElfFile>> files = new ConcurrentHashMap<>();
    private final Map<String, Object> byBuildId = new ConcurrentHashMap<>();

    /**
     * The ELF file at {@code path}, or empty when it cannot be read or is not ELF. A file that is not ELF is
     * remembered; one that could not be opened (a process's /proc/PID/root path vanishing) is tried again.
     */
    public Optional<ElfFile> elf(Path path) {
        Key key;
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
            key = new Key(a.fileKey() != null ? a.fileKey() : path, a.size(), a.lastModifiedTime().toMillis());
        } catch (IOException e) {
            return Optional.empty();
        }
        Optional<ElfFile> known = files.get(key);
        if (known != null) {
            return known;
        }
        try {
            Optional<ElfFile> elf = Optional.of(ElfFiles.map(path));
            Optional<ElfFile> prev = files.putIfAbsent(key, elf);
            return prev != null ? prev : elf;
        } catch (ElfFormatException e) {
            // Processes map data files too (locale archives, caches): only a damaged ELF file is worth a warning.
            if (e.isNotElf()) {
                log.debug("not symbolizing {}: {}", path, e.getMessage());
            } else {
                log.warn("corrupt ELF file, not symbolizing it: {}", e.getMessage());
            }
            files.putIfAbsent(key, Optional.empty());
            return Optional.empty();
        } catch (IOException e) {
            log.debug("cannot open {}: {}", path, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * A value derived from a file, computed once per build-id (or per file when it has none) and kept: symbol
     * indexes, line tables, CFI.
     */
    @SuppressWarnings("unchecked")
    public <T> T derived(ElfFile elf, String kind, java.util.function.Function<ElfFile, T> compute) {
        String id = elf.buildId().orElse("identity:" + System.identityHashCode(elf));
        return (T) byBuildId.computeIfAbsent(kind + "/" + id, k -> compute.apply(elf));
    }
}
