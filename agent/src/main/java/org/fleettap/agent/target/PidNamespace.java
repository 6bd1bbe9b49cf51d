package org.fleettap.agent.target;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PID namespace fleettap runs in, named by its inode. It matters because a probe opened for every process (pid
 * -1, one event per CPU) fires for every process on the machine, whatever its namespace: a uprobe is set on the
 * binary's inode, a tracepoint in the kernel. An agent in a child PID namespace (a container without the host's PID
 * namespace, or a host simulated on one machine) sees only its namespace's processes, and the kernel tells it which
 * events are not theirs: it reports pid and tid 0 for a task the opener's namespace cannot see.
 *
 * @param inode the namespace's inode number ({@code /proc/self/ns/pid} links to {@code pid:[INODE]})
 */
public record PidNamespace(long inode) {
    /** The initial PID namespace's inode: the kernel's PROC_PID_INIT_INO, the same on every machine. */
    public static final long INITIAL_INODE = 0xEFFFFFFCL;
    private static final Pattern LINK = Pattern.compile("pid:\\[(\\d+)]");
    private static volatile PidNamespace current;

    /** Whether this is the initial namespace, where every task is visible (and pid 0 is only the idle task). */
    public boolean isInitial() {
        return inode == INITIAL_INODE;
    }

    /** The namespace a {@code /proc/PID/ns/pid} link's target names, e.g. {@code pid:[4026531836]}. */
    public static PidNamespace parseLink(String target) {
        Matcher m = LINK.matcher(target.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a PID namespace link: '" + target + "'");
        }
        return new PidNamespace(Long.parseLong(m.group(1)));
    }

    /**
     * The namespace of this process (read once). Where /proc does not say (no /proc, an old kernel), the initial
     * namespace: every event is this host's, as before namespaces existed.
     */
    public static PidNamespace current() {
        PidNamespace ns = current;
        if (ns == null) {
            try {
                ns = parseLink(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString());
            } catch (IOException | IllegalArgumentException | UnsupportedOperationException e) {
                ns = new PidNamespace(INITIAL_INODE);
            }
            current = ns;
        }
        return ns;
    }
}
