package org.fleettap.agent.target;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;

/** Finding programs by name the way a shell does: through $PATH. */
public final class Executables {
    private Executables() {
    }

    /** The first regular file called {@code name} in a $PATH directory. */
    public static Optional<Path> onPath(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(":")) {
            Path p = Paths.get(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
