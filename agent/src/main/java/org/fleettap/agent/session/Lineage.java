package org.fleettap.agent.session;

import java.util.HashMap;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.Optional;
import org.fleettap.agent.target.Tasks;

/**
 * Parent and user of each traced process (ppid(), uid(), euid()), kept from the kernel's FORK records so that
 * processes which exited before their events were handled still answer; processes that were running before the
 * session began are read from /proc on first use. A child starts with its parent's user; an exec (a set-uid
 * program) re-reads it while the process lives.
 */
final class Lineage {
    private static final Tasks.Credentials UNKNOWN = new Tasks.Credentials(0, -1, -1);

    private final Map<Integer, Tasks.Credentials> byPid = new HashMap<>();
    private final IntFunction<Optional<Tasks.Credentials>> proc;

    Lineage() {
        this(Tasks::credentials);
    }

    /** With {@code proc} answering for processes not seen forking (tests give a map). */
    Lineage(IntFunction<Optional<Tasks.Credentials>> proc) {
        this.proc = proc;
    }

    /** A FORK record: {@code pid} was created by {@code ppid} (the same pid for a new thread). */
    void onFork(int ppid, int pid) {
        if (ppid == pid) {
            return;
        }
        Tasks.Credentials parent = of(ppid);
        byPid.put(pid, new Tasks.Credentials(ppid, parent.uid(), parent.euid()));
    }

    /**
     * An exec: the program may be set-uid, or the process changed its user before it (setpriv, su), so the user is
     * read again while the process lives; when it is gone already the user is unknown (-1) from here, never the
     * one its fork inherited, which may be wrong.
     */
    void onExec(int pid) {
        Tasks.Credentials known = byPid.get(pid);
        Optional<Tasks.Credentials> now = proc.apply(pid);
        int ppid = known != null ? known.ppid() : now.map(Tasks.Credentials::ppid).orElse(0);
        byPid.put(pid, now.map(c -> new Tasks.Credentials(ppid, c.uid(), c.euid()))
                .orElse(new Tasks.Credentials(ppid, -1, -1)));
    }

    /** What is known of {@code pid}: ppid 0 and uid -1 for a process that is gone and was never seen forking. */
    Tasks.Credentials of(int pid) {
        Tasks.Credentials c = byPid.get(pid);
        if (c == null) {
            c = proc.apply(pid).orElse(UNKNOWN);
            byPid.put(pid, c);
        }
        return c;
    }
}
