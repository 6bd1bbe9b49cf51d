package org.fleettap.agent.session;

import java.util.HashMap;
import java.util.Map;
import org.fleettap.agent.target.Tasks;

/**
 * Thread names (comm) as the kernel reports them in COMM records (on exec and prctl), falling back to /proc for
 * threads that were named before the session began.
 */
final class Comms {
    private final Map<Integer, String> byTid = new HashMap<>();

    void onComm(int tid, String comm) {
        byTid.put(tid, comm);
    }

    void onExit(int tid) {
        // Keep the name: records of the thread can still follow in time order.
    }

    String name(int pid, int tid) {
        String n = byTid.get(tid);
        if (n == null) {
            n = Tasks.execName(tid);
            if ("?".equals(n) && pid != tid) {
                n = byTid.getOrDefault(pid, Tasks.execName(pid));
            }
            byTid.put(tid, n);
        }
        return n;
    }
}
