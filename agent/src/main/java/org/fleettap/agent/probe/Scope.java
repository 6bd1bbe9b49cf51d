package org.fleettap.agent.probe;

import java.util.ArrayList;
import java.util.List;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.target.TargetException;
import org.fleettap.agent.target.Tasks;

/**
 * The (pid, cpu) pairs an event is opened on for a target, and whether it follows new threads and children.
 * Counters of a task need no CPU (-1); ring buffers are per CPU, so sampled task events are opened once per CPU.
 */
record Scope(List<int[]> pairs, boolean inherit) {

    /** Every process: one event per CPU. */
    static Scope systemWide(List<Integer> cpus) {
        List<int[]> pairs = new ArrayList<>();
        for (int cpu : cpus) {
            pairs.add(new int[] {-1, cpu});
        }
        return new Scope(pairs, false);
    }

    /** Whether the events fire for every process on the machine (pid -1), not for given tasks. */
    boolean everyProcess() {
        return !pairs.isEmpty() && pairs.get(0)[0] == -1;
    }

    /** The given tasks, following their new threads and children; per CPU when sampling. */
    static Scope tasks(List<Integer> tids, boolean perCpu, List<Integer> cpus) {
        List<int[]> pairs = new ArrayList<>();
        for (int tid : tids) {
            if (perCpu) {
                for (int cpu : cpus) {
                    pairs.add(new int[] {tid, cpu});
                }
            } else {
                pairs.add(new int[] {tid, -1});
            }
        }
        return new Scope(pairs, true);
    }

    /** The scope of a probe on user code or a tracepoint for {@code target} (pid already known for commands). */
    static Scope forTarget(Target target, int commandPid, boolean sampling, List<Integer> cpus)
            throws TargetException {
        if (target instanceof Target.AllProcesses) {
            return systemWide(cpus);
        }
        if (target instanceof Target.Process p) {
            return tasks(Tasks.threadsOf(p.pid()), sampling, cpus);
        }
        return tasks(List.of(commandPid), sampling, cpus);
    }
}
