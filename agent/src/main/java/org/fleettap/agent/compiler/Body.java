package org.fleettap.agent.compiler;

import static org.fleettap.agent.compiler.Unsupported.unsupported;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fleettap.agent.probe.ProbeSite;
import org.fleettap.agent.script.Expr;
import org.fleettap.agent.script.Script;
import org.fleettap.agent.script.Type;

/** What is known while compiling one body (a probe point's handler or a function). */
final class Body {
    final Map<String, Integer> longSlots = new HashMap<>();
    final Map<String, Integer> stringSlots = new HashMap<>();
    final Script.Point point;
    final boolean entryContext;
    final List<Expr.Entry> entries;
    /** Target variables of a return probe, read at the function's entry as stap does: their @entry. */
    final Map<Expr.Target, Expr.Entry> implicitEntries = new HashMap<>();
    /** The sites this body's point resolved to (for DWARF member offsets). */
    List<ProbeSite> sites = List.of();
    /** What the body reads in the kernel at its sites (null where it fires elsewhere: begin, timers, ...). */
    KernelReads reads;
    boolean usesStack;

    Body(Script.Point point, boolean entryContext, List<Expr.Entry> entries) {
        this.point = point;
        this.entryContext = entryContext;
        this.entries = entries;
    }

    /** The frame slot of local {@code name}, allocated on first use (numbers and strings count separately). */
    int slot(String name, Type type) {
        Map<String, Integer> slots = type == Type.STRING ? stringSlots : longSlots;
        return slots.computeIfAbsent(name, n -> slots.size());
    }

    /** Where {@code en}'s value is in the event's saved {@code @entry} values. */
    int entryIndex(Expr.Entry en) {
        int i = entries.indexOf(en);
        if (i < 0) {
            throw unsupported(en.location(), "@entry here");
        }
        return i;
    }
}
