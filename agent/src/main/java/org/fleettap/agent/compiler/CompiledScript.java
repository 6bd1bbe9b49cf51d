package org.fleettap.agent.compiler;

import java.io.PrintStream;
import java.util.List;
import java.util.Objects;
import org.fleettap.agent.runtime.GlobalDisplay;
import org.fleettap.agent.script.VariableInfo;
import org.fleettap.agent.session.Plan;
import org.fleettap.agent.session.Session;
import org.fleettap.agent.symbols.Stacks;

/** A script turned into a session plan whose handlers share the script's globals. */
public final class CompiledScript {
    private final Plan plan;
    private final ScriptState state;
    private final List<GlobalSlot> globals;

    /** Where a global lives, for the end-of-run display. */
    record GlobalSlot(VariableInfo info, int index) {
    }

    CompiledScript(Plan plan, ScriptState state, List<GlobalSlot> globals) {
        this.plan = plan;
        this.state = state;
        this.globals = List.copyOf(globals);
    }

    public Plan plan() {
        return plan;
    }

    /** Connects the handlers to the session that runs the plan: {@code exit()}, symbols and stacks. */
    public CompiledScript bind(Session session) {
        state.session = Objects.requireNonNull(session, "session");
        state.stacks = new Stacks(session.symbolizer().modules(), ScriptState.MAX_STACK_DEPTH);
        return this;
    }

    /**
     * stap's {@code -D MAXACTION=N}: how many statements one probe hit may execute (begin and end probes ten
     * times as many); over it, the hit ends with the error "MAXACTION exceeded". Default 1000.
     */
    public CompiledScript maxAction(long n) {
        if (n <= 0) {
            throw new IllegalArgumentException("MAXACTION must be positive, not " + n);
        }
        state.maxAction = n;
        return this;
    }

    /**
     * Starts exporting the script's statistics and numbers as deltas (the agent's fleet mode); from now on each
     * {@code <<<} also feeds the delta. Call once, before the session runs.
     */
    public ScriptExport export() {
        return new ScriptExport(state, globals);
    }

    /** How many entries the script's arrays hold together now (for a policy's max_map_entries). */
    public long mapEntries() {
        long n = 0;
        for (org.fleettap.agent.runtime.StapMap m : state.maps) {
            n += m.size();
        }
        return n;
    }

    /** Prints the globals the script wrote but never read, as stap does at the end of a run. */
    public void printUnreadGlobals(PrintStream out) {
        StringBuilder sb = new StringBuilder();
        for (GlobalSlot g : globals) {
            VariableInfo v = g.info();
            if (!v.written() || v.read()) {
                continue;
            }
            if (v.array()) {
                GlobalDisplay.array(sb, state.maps[g.index()]);
            } else {
                switch (v.type()) {
                    case STRING -> GlobalDisplay.scalar(sb, v.name(), state.strings[g.index()]);
                    case STATS -> GlobalDisplay.statistic(sb, v.name(), state.stats[g.index()]);
                    default -> GlobalDisplay.scalar(sb, v.name(), state.longs[g.index()]);
                }
            }
        }
        out.print(sb);
        out.flush();
    }
}
