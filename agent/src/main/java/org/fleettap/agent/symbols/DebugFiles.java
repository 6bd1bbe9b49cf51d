package org.fleettap.agent.symbols;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;
import org.fleettap.agent.elf.DebugLink;
import org.fleettap.agent.elf.ElfFile;

/**
 * Where a binary's separate debug information lives, the places gdb and stap look: by build-id under
 * {@code ROOT/.build-id/NN/REST.debug}, then by {@code .gnu_debuglink} beside the binary, in its {@code .debug/}
 * directory and under {@code ROOT/DIR}. ROOT is /usr/lib/debug unless tests give another.
 */
public final class DebugFiles {
    /** The system's debug root. */
    public static final Path SYSTEM_ROOT = Paths.get("/usr/lib/debug");

    private final List<Path> roots;

    public DebugFiles(List<Path> roots) {
        this.roots = List.copyOf(roots);
    }

    public static DebugFiles system() {
        return new DebugFiles(List.of(SYSTEM_ROOT));
    }

    /** The candidates for {@code binary}'s debug file, in search order (existing or not). */
    public List<Path> candidates(Path binary, ElfFile elf) {
        List<Path> out = new ArrayList<>();
        Optional<String> buildId = elf.buildId();
        if (buildId.isPresent() && buildId.get().length() > 2) {
            String id = buildId.get();
            for (Path root : roots) {
                out.add(root.resolve(".build-id").resolve(id.substring(0, 2)).resolve(id.substring(2) + ".debug"));
            }
        }
        Optional<DebugLink> link = elf.debugLink();
        if (link.isPresent()) {
            Path dir = binary.toAbsolutePath().getParent();
            String name = link.get().fileName();
            out.add(dir.resolve(name));
            out.add(dir.resolve(".debug").resolve(name));
            for (Path root : roots) {
                out.add(root.resolve(dir.toString().substring(1)).resolve(name));
            }
        }
        return out;
    }

    /**
     * The first candidate that exists and matches: by build-id path it is trusted, by debuglink its CRC32 must
     * equal the link's (a stale debug file from another build is ignored). Never the binary itself.
     */
    public Optional<Path> find(Path binary, ElfFile elf) {
        Optional<DebugLink> link = elf.debugLink();
        for (Path p : candidates(binary, elf)) {
            if (!Files.isRegularFile(p) || sameFile(p, binary)) {
                continue;
            }
            boolean byBuildId = p.toString().contains("/.build-id/");
            if (byBuildId || link.isEmpty() || crc32(p) == link.get().crc32()) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    static long crc32(Path p) {
        CRC32 crc = new CRC32();
        try (var in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                crc.update(buf, 0, n);
            }
        } catch (IOException e) {
            return -1;
        }
        return crc.getValue();
    }
}
