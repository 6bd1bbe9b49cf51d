package org.fleettap.agent.tracefs;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.LongPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.internal.sys.Errno;
import org.fleettap.agent.target.PidNamespace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic uprobe events through tracefs {@code uprobe_events}: creates them from {@link UprobeEventSpec}s and
 * removes those a dead agent left behind. The file is only ever appended to, so other tools' events survive.
 */
public final class UprobeEvents {
    private static final Logger log = LoggerFactory.getLogger(UprobeEvents.class);

    /** The feature name in {@link MissingFeatureException}s. */
    public static final String FEATURE = "uprobe_events (CONFIG_UPROBE_EVENTS)";

    static final String FILE = "uprobe_events";
    static final String GROUP_PREFIX = "fleettap_";
    /** How long removal retries while a perf event still holds the event open. */
    static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(2);

    /** fleettap_PID (the initial PID namespace) or fleettap_NSINODE_PID (a child one). */
    private static final Pattern AGENT_GROUP = Pattern.compile(GROUP_PREFIX + "(?:(\\d+)_)?(\\d+)");

    private final Tracefs tracefs;
    private final Duration busyTimeout;

    UprobeEvents(Tracefs tracefs, Duration busyTimeout) {
        this.tracefs = Objects.requireNonNull(tracefs, "tracefs");
        this.busyTimeout = Objects.requireNonNull(busyTimeout, "busyTimeout");
    }

    /**
     * The uprobe events of {@code tracefs}.
     *
     * @throws MissingFeatureException (feature {@value #FEATURE}) when the kernel has no CONFIG_UPROBE_EVENTS
     */
    public static UprobeEvents open(Tracefs tracefs) throws MissingFeatureException {
        return open(tracefs, DEFAULT_BUSY_TIMEOUT);
    }

    static UprobeEvents open(Tracefs tracefs, Duration busyTimeout) throws MissingFeatureException {
        Path file = tracefs.path(FILE);
        if (!Files.exists(file)) {
            throw new MissingFeatureException(FEATURE, file + " does not exist");
        }
        return new UprobeEvents(tracefs, busyTimeout);
    }

    /** The event group of the agent with process id {@code pid} in this process's PID namespace. */
    public static String groupFor(long pid) {
        return groupFor(PidNamespace.current(), pid);
    }

    /**
     * The event group of the agent with process id {@code pid} in namespace {@code ns}: {@code fleettap_<pid>} in the
     * initial namespace, {@code fleettap_<ns inode>_<pid>} in a child one, where pids repeat from one namespace to the
     * next (agents in containers on one machine) while tracefs is one for the whole machine.
     */
    public static String groupFor(PidNamespace ns, long pid) {
        if (pid <= 0) {
            throw new IllegalArgumentException("invalid pid " + pid);
        }
        return GROUP_PREFIX + (ns.isInitial() ? "" : ns.inode() + "_") + pid;
    }

    /** The event group of this process. */
    public static String ownGroup() {
        return groupFor(ProcessHandle.current().pid());
    }

    /**
     * Defines the event in the kernel and returns it live, with its id and record format. Close it to remove it.
     *
     * @throws IOException naming the event and location, with the kernel's error_log explanation when it rejects
     *                     the definition
     */
    public DynamicUprobe create(UprobeEventSpec spec) throws IOException {
        String context = "creating uprobe event " + spec.qualifiedName() + " on " + spec.location();
        String line = spec.definition();
        try {
            tracefs.append(FILE, line);
        } catch (IOException e) {
            StringBuilder msg = new StringBuilder(context).append(": ").append(KernelErrors.describe(e));
            OptionalInt errno = KernelErrors.errno(e);
            if (errno.isPresent() && errno.getAsInt() == Errno.EEXIST) {
                msg.append(": an event named ").append(spec.qualifiedName()).append(" already exists");
            }
            kernelExplanation(line).ifPresent(k -> msg.append(": kernel says: ").append(k));
            throw new IOException(msg.toString(), e);
        }
        String dir = "events/" + spec.group() + "/" + spec.event();
        try {
            long id = Long.parseLong(tracefs.read(dir + "/id").strip());
            TracepointFormat format = TracepointFormat.parse(tracefs.read(dir + "/format"));
            log.debug("created uprobe event {} (id {}): {}", spec.qualifiedName(), id, line);
            return new DynamicUprobe(this, spec, id, format);
        } catch (IOException | RuntimeException e) {
            try {
                remove(spec.qualifiedName());
            } catch (IOException removal) {
                e.addSuppressed(removal);
            }
            throw new IOException(context + ": reading back " + tracefs.path(dir) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes the events of every agent group whose process is gone, leaving other groups and live agents' groups
     * alone. An agent tells only of its own PID namespace's agents whether they live; in the initial namespace, an
     * agent group of a child namespace is stale once no process is left in that namespace.
     *
     * @return how many events were removed
     */
    public int removeStaleGroups() throws IOException {
        return removeStaleGroups(PidNamespace.current(), UprobeEvents::isAlive, UprobeEvents::pidNamespaceExists);
    }

    int removeStaleGroups(LongPredicate alive) throws IOException {
        return removeStaleGroups(PidNamespace.current(), alive, UprobeEvents::pidNamespaceExists);
    }

    /**
     * @param own             the namespace this agent runs in
     * @param alive           whether the agent with a pid of {@code own} lives
     * @param namespaceExists whether a PID namespace (by inode) still has processes; asked only in the initial one
     */
    int removeStaleGroups(PidNamespace own, LongPredicate alive, LongPredicate namespaceExists) throws IOException {
        long self = ProcessHandle.current().pid();
        int removed = 0;
        Set<String> staleGroups = new LinkedHashSet<>();
        for (UprobeEventLine e : UprobeEventLine.parseAll(readFile())) {
            Matcher m = AGENT_GROUP.matcher(e.group());
            if (!m.matches()) {
                continue;
            }
            long ns;
            long pid;
            try {
                ns = m.group(1) == null ? PidNamespace.INITIAL_INODE : Long.parseLong(m.group(1));
                pid = Long.parseLong(m.group(2));
            } catch (NumberFormatException overflow) {
                continue;
            }
            if (ns == own.inode() ? pid == self || alive.test(pid) : !own.isInitial() || namespaceExists.test(ns)) {
                continue;
            }
            try {
                if (remove(e.qualifiedName())) {
                    removed++;
                    staleGroups.add(e.group());
                }
            } catch (IOException failure) {
                log.warn("could not remove stale uprobe event {} of dead agent {}", e.qualifiedName(), pid, failure);
            }
        }
        if (!staleGroups.isEmpty()) {
            log.info("removed {} stale uprobe events of dead agents (groups {})", removed, staleGroups);
        }
        return removed;
    }

    /**
     * Whether any process is in the PID namespace with inode {@code inode} (seen from the initial namespace, which
     * sees every process). When /proc cannot be read, it is taken to exist.
     */
    static boolean pidNamespaceExists(long inode) {
        String wanted = "pid:[" + inode + "]";
        try (var procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                try {
                    if (Files.readSymbolicLink(p.resolve("ns/pid")).toString().equals(wanted)) {
                        return true;
                    }
                } catch (IOException gone) {
                    // exited while we looked, or a kernel thread we may not read: not this namespace's
                }
            }
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Whether process {@code pid} exists and is not a zombie. */
    static boolean isAlive(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return true; // cannot tell: leave its events alone
        }
        int close = stat.lastIndexOf(')');
        if (close < 0 || close + 2 >= stat.length()) {
            return true;
        }
        char state = stat.charAt(close + 2);
        return state != 'Z' && state != 'X';
    }

    /** The current definitions, as the kernel lists them. */
    String readFile() throws IOException {
        try {
            return tracefs.read(FILE);
        } catch (IOException e) {
            throw new IOException("reading " + tracefs.path(FILE) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes the event "GROUP/EVENT", retrying while the kernel reports it busy (a perf event is still open on
     * it) for up to the busy timeout.
     *
     * @return true if it was removed, false if it did not exist
     */
    boolean remove(String qualifiedName) throws IOException {
        String line = "-:" + qualifiedName;
        long deadline = System.nanoTime() + busyTimeout.toNanos();
        long sleepMillis = 5;
        while (true) {
            try {
                tracefs.append(FILE, line);
                log.debug("removed uprobe event {}", qualifiedName);
                return true;
            } catch (IOException e) {
                OptionalInt errno = KernelErrors.errno(e);
                if (errno.isPresent() && errno.getAsInt() == Errno.ENOENT) {
                    return false;
                }
                boolean busy = errno.isPresent() && errno.getAsInt() == Errno.EBUSY;
                if (!busy || System.nanoTime() - deadline >= 0) {
                    String msg = "removing uprobe event " + qualifiedName + ": " + KernelErrors.describe(e);
                    if (busy) {
                        msg += " for " + busyTimeout.toMillis() + " ms: a perf event is still open on it";
                    }
                    throw new IOException(msg, e);
                }
            }
            try {
                Thread.sleep(sleepMillis);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("removing uprobe event " + qualifiedName + ": interrupted");
            }
            sleepMillis = Math.min(100, sleepMillis * 2);
        }
    }

    private Optional<String> kernelExplanation(String command) {
        try {
            return tracefs.readIfExists("error_log").flatMap(text -> KernelErrors.explain(text, command));
        } catch (IOException e) {
            log.debug("cannot read {}", tracefs.path("error_log"), e);
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return "uprobe events of " + tracefs;
    }
}
