package org.fleettap.agent.policy;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.Locale;
import java.util.Objects;

/**
 * One entry of the {@code binaries} rule: an absolute path, a glob over absolute paths ({@code *} and {@code ?}
 * within one path component, {@code **} across components, {@code [...]} and {@code {a,b}} as
 * {@link java.nio.file.FileSystem#getPathMatcher} takes them), or {@code build-id:HEX} (the ELF build-id note, so a
 * binary is allowed wherever it lies).
 */
public sealed interface BinaryPattern {
    String BUILD_ID_PREFIX = "build-id:";

    /** Whether this entry allows the binary whose real path is {@code realPath} and build-id {@code buildId}. */
    boolean allows(Path realPath, String buildId);

    /** Whether checking needs the binary's build-id (read from the file only when some entry asks). */
    default boolean needsBuildId() {
        return false;
    }

    /**
     * Reads one entry as written in the file.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    static BinaryPattern of(String text) {
        if (text.startsWith(BUILD_ID_PREFIX)) {
            String hex = text.substring(BUILD_ID_PREFIX.length()).toLowerCase(Locale.ROOT);
            if (!hex.matches("[0-9a-f]{2,80}") || hex.length() % 2 != 0) {
                throw new IllegalArgumentException("'" + text + "' is not build-id: and an even number of hex digits");
            }
            return new BuildId(hex);
        }
        if (!text.startsWith("/")) {
            throw new IllegalArgumentException("'" + text + "' is not an absolute path, a glob over absolute paths, or "
                    + "build-id:HEX");
        }
        boolean glob = text.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
        if (!glob) {
            return new Exact(Path.of(text).normalize());
        }
        try {
            return new Glob(text, FileSystems.getDefault().getPathMatcher("glob:" + text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a valid glob: " + e.getMessage(), e);
        }
    }

    /** One path. */
    record Exact(Path path) implements BinaryPattern {
        @Override
        public boolean allows(Path realPath, String buildId) {
            return path.equals(realPath);
        }
    }

    /** Paths that match a glob. */
    record Glob(String text, PathMatcher matcher) implements BinaryPattern {
        public Glob {
            Objects.requireNonNull(matcher, "matcher");
        }

        @Override
        public boolean allows(Path realPath, String buildId) {
            return matcher.matches(realPath);
        }
    }

    /** A binary by its build-id, lower-case hex. */
    record BuildId(String hex) implements BinaryPattern {
        @Override
        public boolean allows(Path realPath, String buildId) {
            return hex.equals(buildId);
        }

        @Override
        public boolean needsBuildId() {
            return true;
        }
    }
}
