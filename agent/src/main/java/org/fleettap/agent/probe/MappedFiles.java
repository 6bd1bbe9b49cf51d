package org.fleettap.agent.probe;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.fleettap.agent.symbols.Mapping;
import org.fleettap.agent.symbols.ProcMaps;

/**
 * Finds a file by its bare name among the files running processes map — how {@code process("libc.so.6")} names the
 * C library a host's programs actually use, wherever the distribution put it (stap looks libraries up the same
 * way the dynamic linker does; the processes' maps are what the linker found). A mapped path is taken only when
 * the file at that path here is the very file mapped (same inode): a process in another mount namespace (a
 * container) maps files this agent may see under other names, or not at all.
 */
final class MappedFiles {
    private MappedFiles() {
    }

    /**
     * The first file called {@code name} mapped by {@code first} (when given), else by the processes under
     * {@code proc} in ascending pid order.
     */
    static Optional<Path> find(Path proc, String name, OptionalInt first) {
        List<Integer> pids = new ArrayList<>();
        first.ifPresent(pids::add);
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(proc, "[0-9]*")) {
            List<Integer> all = new ArrayList<>();
            for (Path d : dirs) {
                all.add(Integer.parseInt(d.getFileName().toString()));
            }
            all.sort(null);
            pids.addAll(all);
        } catch (IOException | NumberFormatException e) {
            // No process list: only the first pid, if any.
        }
        for (int pid : pids) {
            Optional<Path> found = inMaps(proc.resolve(Integer.toString(pid)).resolve("maps"), name);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /** A file called {@code name} in one maps file, when that file is the same here; empty if unreadable. */
    private static Optional<Path> inMaps(Path maps, String name) {
        List<Mapping> mappings;
        try {
            mappings = ProcMaps.parse(Files.readString(maps));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty(); // the process exited, or is not ours to read
        }
        for (Mapping m : mappings) {
            if (!m.isFile()) {
                continue;
            }
            Path p = Path.of(m.path());
            if (p.getFileName() != null && p.getFileName().toString().equals(name) && sameInode(p, m.inode())) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static boolean sameInode(Path p, long inode) {
        try {
            return ((Number) Files.getAttribute(p, "unix:ino")).longValue() == inode;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
