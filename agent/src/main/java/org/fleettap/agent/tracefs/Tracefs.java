package org.fleettap.agent.tracefs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.internal.sys.NativeException;
import org.fleettap.agent.internal.sys.Syscalls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tracefs mount: the kernel's tracing control files. {@link #locate()} finds (or mounts) the system's;
 * {@link #at(Path)} uses any directory laid out like one, so parsers and tests can work on a fake tree.
 */
public final class Tracefs {
    private static final Logger log = LoggerFactory.getLogger(Tracefs.class);

    /** The feature name in {@link MissingFeatureException}s. */
    public static final String FEATURE = "tracefs";

    static final Path TRACING = Path.of("/sys/kernel/tracing");
    static final Path DEBUGFS = Path.of("/sys/kernel/debug");
    static final Path DEBUG_TRACING = DEBUGFS.resolve("tracing");
    private static final Path PROC_MOUNTS = Path.of("/proc/self/mounts");

    private static final Object LOCK = new Object();
    private static Tracefs located; // guarded by LOCK; only successes are cached

    private final Path root;

    private Tracefs(Path root) {
        this.root = Objects.requireNonNull(root, "root");
    }

    /** A tracefs rooted at {@code root} (no check that it is one). */
    public static Tracefs at(Path root) {
        return new Tracefs(root);
    }

    /**
     * The system's tracefs: /sys/kernel/tracing if tracefs is mounted there, else mounted there now, else
     * /sys/kernel/debug/tracing when debugfs is mounted. The result is cached.
     *
     * @throws MissingFeatureException (feature "tracefs") naming everything that was tried
     * @throws IOException               when /proc/self/mounts cannot be read
     */
    public static Tracefs locate() throws IOException, MissingFeatureException {
        synchronized (LOCK) {
            if (located == null) {
                String mounts;
                try {
                    mounts = Files.readString(PROC_MOUNTS, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new IOException("locating tracefs: reading " + PROC_MOUNTS + ": " + e.getMessage(), e);
                }
                located = locate(mounts, Syscalls::mount,
                        dir -> Files.isDirectory(dir.resolve("events")));
            }
            return located;
        }
    }

    /** Mounts a filesystem; {@link Syscalls#mount} in production. */
    interface Mounter {
        void mount(String source, String target, String fsType) throws NativeException;
    }

    /** The decision behind {@link #locate()}, with the system's state passed in. */
    static Tracefs locate(String procMounts, Mounter mounter, Predicate<Path> populated)
            throws MissingFeatureException {
        List<Mount> mounts = Mount.parseAll(procMounts);
        if (mountedAt(mounts, TRACING, "tracefs")) {
            return new Tracefs(TRACING);
        }
        List<String> tried = new ArrayList<>();
        tried.add("tracefs is not mounted at " + TRACING);
        NativeException mountFailure = null;
        try {
            mounter.mount("nodev", TRACING.toString(), "tracefs");
            log.info("mounted tracefs on {}", TRACING);
            return new Tracefs(TRACING);
        } catch (NativeException e) {
            mountFailure = e;
            tried.add(e.getMessage());
        }
        Optional<Path> elsewhere = mounts.stream()
                .filter(m -> m.type.equals("tracefs"))
                .map(m -> m.target)
                .findFirst();
        if (elsewhere.isPresent()) {
            log.info("using tracefs mounted at {} ({})", elsewhere.get(), mountFailure.getMessage());
            return new Tracefs(elsewhere.get());
        }
        if (mountedAt(mounts, DEBUGFS, "debugfs")) {
            // debugfs makes tracing/ an automount of tracefs on first access.
            if (populated.test(DEBUG_TRACING)) {
                log.info("using tracefs under debugfs at {} ({})", DEBUG_TRACING, mountFailure.getMessage());
                return new Tracefs(DEBUG_TRACING);
            }
            tried.add("debugfs is mounted at " + DEBUGFS + " but " + DEBUG_TRACING + " holds no tracing files");
        } else {
            tried.add("debugfs is not mounted at " + DEBUGFS);
        }
        throw new MissingFeatureException(FEATURE, String.join("; ", tried)
                + " (a kernel without CONFIG_TRACING, or no permission to mount it)");
    }

    private static boolean mountedAt(List<Mount> mounts, Path target, String type) {
        return mounts.stream().anyMatch(m -> m.type.equals(type) && m.target.equals(target));
    }

    /** The root directory. */
    public Path root() {
        return root;
    }

    /** A file or directory under the root, e.g. {@code "events/sched/sched_switch/format"}. */
    public Path path(String relative) {
        return root.resolve(relative);
    }

    /** The whole text of a control file. */
    String read(String relative) throws IOException {
        return Files.readString(path(relative), StandardCharsets.UTF_8);
    }

    /** The text of a control file, or empty when it does not exist. */
    Optional<String> readIfExists(String relative) throws IOException {
        try {
            return Optional.of(read(relative));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * Appends one command line to a control file in a single write. The file is opened for appending and never
     * truncated: truncating uprobe_events would delete every other tool's events.
     */
    void append(String relative, String line) throws IOException {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(path(relative), StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
    }

    @Override
    public String toString() {
        return "tracefs at " + root;
    }

    /** One line of /proc/self/mounts. */
    private static final class Mount {
        final Path target;
        final String type;

        private Mount(Path target, String type) {
            this.target = target;
            this.type = type;
        }

        static List<Mount> parseAll(String text) {
            List<Mount> out = new ArrayList<>();
            for (String line : text.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 3) {
                    out.add(new Mount(Path.of(unescape(f[1])), f[2]));
                }
            }
            return out;
        }

        /** Mount points escape space, tab, newline and backslash as \ooo. */
        private static String unescape(String s) {
            if (s.indexOf('\\') < 0) {
                return s;
            }
            StringBuilder sb = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '\\' && isOctal(s, i + 1)) {
                    sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                } else {
                    sb.append(c);
                }
            }
            return sb.toString();
        }

        private static boolean isOctal(String s, int from) {
            if (from + 3 > s.length()) {
                return false;
            }
            for (int i = from; i < from + 3; i++) {
                if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                    return false;
                }
            }
            return true;
        }
    }
}
