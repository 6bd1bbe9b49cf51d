package org.fleettap.agent.compiler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.agent.runtime.MapDecl;
import org.fleettap.agent.runtime.StapMap;
import org.fleettap.agent.runtime.StapType;
import org.fleettap.agent.runtime.Stat;
import org.fleettap.agent.script.Type;
import org.fleettap.agent.script.VariableInfo;

/**
 * What a script exports each interval, as deltas of the mergeable aggregate keyed by (global, key tuple):
 * <ul>
 * <li>a statistic ({@code <<<}, scalar or array element): the values recorded since the last drain;</li>
 * <li>a number (scalar or array element, e.g. {@code calls++}): its change since the last drain, recorded as one
 * value, so that merged over windows and hosts the aggregate's sum is the total change and its count the number
 * of windows in which it changed.</li>
 * </ul>
 * Strings are not exported. Called on the session's thread, between handlers.
 */
public final class ScriptExport {
    /** One changed global or element: {@code key} holds Longs and Strings, empty for a scalar. */
    public record Delta(String name, List<Object> key, MergeableAggregate aggregate) {
        public Delta {
            key = List.copyOf(key);
        }
    }

    private final ScriptState state;
    private final List<CompiledScript.GlobalSlot> globals;
    private final Map<String, Long> lastScalars = new HashMap<>();
    private final Map<String, Map<List<Object>, Long>> lastElements = new HashMap<>();

    ScriptExport(ScriptState state, List<CompiledScript.GlobalSlot> globals) {
        this.state = state;
        this.globals = globals;
        for (CompiledScript.GlobalSlot g : globals) {
            VariableInfo v = g.info();
            if (v.array() && state.maps[g.index()].decl().valueKind() == MapDecl.ValueKind.STAT) {
                state.maps[g.index()].trackDeltas();
            } else if (!v.array() && v.type() == Type.STATS) {
                state.stats[g.index()].trackDelta();
            }
        }
        drain(); // numbers set by initialisers are where they start, not a change
    }

    /** The deltas since the last call, in the order the globals are declared. */
    public List<Delta> drain() {
        List<Delta> out = new ArrayList<>();
        for (CompiledScript.GlobalSlot g : globals) {
            VariableInfo v = g.info();
            if (v.array()) {
                array(v.name(), state.maps[g.index()], out);
            } else if (v.type() == Type.STATS) {
                MergeableAggregate d = state.stats[g.index()].takeDelta();
                if (d != null && !d.isEmpty()) {
                    out.add(new Delta(v.name(), List.of(), d));
                }
            } else if (v.type() != Type.STRING) {
                long now = state.longs[g.index()];
                Long before = lastScalars.put(v.name(), now);
                change(v.name(), List.of(), before == null ? now : now - before, out);
            }
        }
        return out;
    }

    private void array(String name, StapMap map, List<Delta> out) {
        MapDecl decl = map.decl();
        if (decl.valueKind() == MapDecl.ValueKind.STRING) {
            return;
        }
        Map<List<Object>, Long> last = lastElements.computeIfAbsent(name, n -> new HashMap<>());
        Map<List<Object>, Long> now = decl.valueKind() == MapDecl.ValueKind.LONG ? new HashMap<>() : null;
        for (StapMap.Cursor c = map.foreach(); c.next();) {
            List<Object> key = new ArrayList<>(decl.keyTypes().size());
            for (int k = 0; k < decl.keyTypes().size(); k++) {
                key.add(decl.keyTypes().get(k) == StapType.STRING ? c.keyString(k) : (Object) c.keyLong(k));
            }
            if (now == null) {
                Stat s = c.valueStat();
                MergeableAggregate d = s.takeDelta();
                if (d != null && !d.isEmpty()) {
                    out.add(new Delta(name, key, d));
                }
            } else {
                long value = c.valueLong();
                now.put(key, value);
                Long before = last.get(key);
                change(name, key, before == null ? value : value - before, out);
            }
        }
        if (now != null) {
            lastElements.put(name, now);
        }
    }

    private static void change(String name, List<Object> key, long delta, List<Delta> out) {
        if (delta != 0) {
            MergeableAggregate a = new MergeableAggregate();
            a.record(delta);
            out.add(new Delta(name, key, a));
        }
    }
}
