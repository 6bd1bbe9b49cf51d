package org.fleettap.agent.compiler;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.fleettap.agent.runtime.Stat;
import org.fleettap.agent.runtime.StapMap;
import org.fleettap.agent.runtime.ThreadIndent;
import org.fleettap.agent.session.Session;
import org.fleettap.agent.symbols.Stacks;
import org.fleettap.agent.target.ProcessMemory;

/** A compiled script's globals and its links to the outside (output, the session): one per compiled script. */
final class ScriptState {
    /** Deepest user stack ustack() looks at. */
    static final int MAX_STACK_DEPTH = 64;

    /** stap's MAXACTION default: statements one probe handler may execute. */
    static final long DEFAULT_MAX_ACTION = 1000;

    /** The MAXACTION in force (-D MAXACTION=N). */
    long maxAction = DEFAULT_MAX_ACTION;
    final long[] longs;
    final String[] strings;
    final Stat[] stats;
    final StapMap[] maps;
    final PrintStream out;
    final ThreadIndent indent = new ThreadIndent();
    /** Reads user memory at addresses the kernel could not read in the probe. */
    final ProcessMemory memory = new ProcessMemory();
    /** Per thread, the stack of {@code @entry} values of calls that have not returned yet, one map per probe. */
    final Map<Integer, Map<Integer, ArrayDeque<Object[]>>> entries = new HashMap<>();
    Session session;
    Stacks stacks;

    ScriptState(int longs, int strings, Stat[] stats, StapMap[] maps, PrintStream out) {
        this.longs = new long[longs];
        this.strings = new String[strings];
        java.util.Arrays.fill(this.strings, "");
        this.stats = stats;
        this.maps = maps;
        this.out = out;
    }

    ArrayDeque<Object[]> entryStack(int probe, int tid) {
        return entries.computeIfAbsent(tid, t -> new HashMap<>()).computeIfAbsent(probe, p -> new ArrayDeque<>());
    }
}
