package org.fleettap.agent.compiler;

import static org.fleettap.agent.compiler.Unsupported.unsupported;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fleettap.agent.compiler.Code.V;
import org.fleettap.agent.compiler.Code.X;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.probe.ProbeException;
import org.fleettap.agent.probe.ProbePoint;
import org.fleettap.agent.probe.ProbeSite;
import org.fleettap.agent.probe.UprobeSite;
import org.fleettap.agent.script.Expr;
import org.fleettap.agent.script.Script;
import org.fleettap.agent.script.Stmt;
import org.fleettap.agent.session.Handler;
import org.fleettap.agent.session.HandlerException;
import org.fleettap.agent.session.Plan;

/**
 * Turns the script's probes into a plan: each probe point resolved to probe sites (or begin, end, a timer), with
 * one compiled handler per point, and for a return probe with {@code @entry} the entry sites that save its values.
 */
final class ProbeAssembler {
    private final Unit unit;
    private final ScriptState state;

    ProbeAssembler(Unit unit) {
        this.unit = unit;
        this.state = unit.state;
    }

    Plan probes(Script script) throws CompileException {
        List<ProbeSite> sites = new ArrayList<>();
        List<Handler> handlers = new ArrayList<>();
        List<Handler> begin = new ArrayList<>();
        List<Handler> end = new ArrayList<>();
        List<Plan.Timer> timers = new ArrayList<>();
        Set<Integer> stackSites = new HashSet<>();
        Map<Integer, String> commFilters = new HashMap<>();
        int probeNumber = 0;
        for (Script.Probe probe : script.probes()) {
            String comm = commFilter(probe);
            List<Expr> targets = new ArrayList<>();
            List<Expr.Entry> entries = new ArrayList<>();
            Walk.stmt(probe.body(), x -> {
                if (x instanceof Expr.Entry en) {
                    entries.add(en);
                } else if (x instanceof Expr.Target) {
                    targets.add(x);
                }
            });
            // In a return probe a target variable other than $return means its value at entry (stap's rule):
            // compile it as an implicit @entry.
            Map<Expr.Target, Expr.Entry> implicit = new HashMap<>();
            if (!probe.points().isEmpty() && probe.points().stream().allMatch(Script.Point::isReturn)) {
                Set<Expr> insideEntries = new HashSet<>();
                for (Expr.Entry en : new ArrayList<>(entries)) {
                    Walk.expr(en.operand(), insideEntries::add);
                }
                for (Expr x : targets) {
                    Expr.Target t = (Expr.Target) x;
                    if (!t.isReturn() && !insideEntries.contains(t) && !implicit.containsKey(t)) {
                        Expr.Entry en = new Expr.Entry(t, t.location());
                        implicit.put(t, en);
                        entries.add(en);
                    }
                }
            }
            for (Script.Point pt : probe.points()) {
                int id = probeNumber++;
                ProbePoint p = pt.point();
                String kind = p.first().name();
                if (!entries.isEmpty() && !pt.isReturn()) {
                    throw unsupported(entries.get(0).location(), "@entry outside a .return probe");
                }
                if (p.size() == 1 && (kind.equals("begin") || kind.equals("end"))) {
                    Body b = new Body(pt, false, entries);
                    (kind.equals("begin") ? begin : end).add(handler(probe, b, id));
                    continue;
                }
                if (kind.equals("timer") && p.size() == 2 && !p.at(1).get().name().equals("profile")) {
                    long unit = switch (p.at(1).get().name()) {
                        case "s", "sec" -> 1_000_000_000L;
                        case "ms", "msec" -> 1_000_000L;
                        case "us", "usec" -> 1_000L;
                        case "ns", "nsec" -> 1L;
                        case "hz" -> -1L;
                        default -> throw unsupported(pt.location(), "probe point '" + p + "'");
                    };
                    long n = p.at(1).get().numberArgument().orElseThrow(
                            () -> new Unsupported(pt.location(), "timer." + p.at(1).get().name() + " needs a number"));
                    if (n <= 0) {
                        throw new Unsupported(pt.location(), "timer period must be positive");
                    }
                    long period = unit < 0 ? 1_000_000_000L / n : n * unit;
                    timers.add(new Plan.Timer(p.toString(), period, handler(probe, new Body(pt, false, entries), id)));
                    continue;
                }
                if (kind.equals("process") && p.size() == 2 && p.at(1).get().name().equals("end")
                        && !p.at(1).get().hasArgument()) {
                    processEnd(probe, pt, id, sites, handlers);
                    continue;
                }
                List<ProbeSite> resolved;
                try {
                    resolved = unit.resolver.resolve(p);
                    boolean mark = p.at(1).map(c -> c.name().equals("mark")).orElse(false);
                    boolean usesReturn = targets.stream().anyMatch(t -> ((Expr.Target) t).isReturn());
                    if (mark) {
                        resolved = unit.resolver.withMarkArguments(resolved);
                    }
                    if (usesReturn && pt.isReturn()) {
                        List<ProbeSite> withReturn = new ArrayList<>();
                        for (ProbeSite s : resolved) {
                            withReturn.add(s instanceof UprobeSite u && u.retprobe()
                                    ? unit.resolver.withReturnValue(u) : s);
                        }
                        resolved = withReturn;
                    }
                } catch (ProbeException | MissingFeatureException e) {
                    if (pt.optional()) {
                        continue;
                    }
                    throw CompileException.at(pt.location(), e.getMessage());
                }
                Body b = new Body(pt, false, entries);
                b.implicitEntries.putAll(implicit);
                b.sites = resolved;
                b.reads = new KernelReads(resolved);
                Handler h = handler(probe, b, id);
                resolved = b.reads.apply();
                for (ProbeSite s : resolved) {
                    if (b.usesStack) {
                        stackSites.add(sites.size());
                    }
                    if (comm != null) {
                        commFilters.put(sites.size(), comm);
                    }
                    sites.add(s);
                    handlers.add(h);
                }
                if (!entries.isEmpty()) {
                    List<ProbeSite> entrySites = new ArrayList<>();
                    for (ProbeSite s : resolved) {
                        if (s instanceof UprobeSite u) {
                            entrySites.add(new UprobeSite(u.point(), u.name(), u.binary(), u.fileOffset(), false,
                                    u.refCtrOffset(), List.of(), List.of()));
                        }
                    }
                    if (entrySites.size() != resolved.size()) {
                        // syscall.NAME.return, kernel.function(...).return: the entry is the same point without
                        // ".return".
                        if (!entrySites.isEmpty() || p.size() < 2) {
                            throw unsupported(entries.get(0).location(), "@entry in a " + kind + " probe");
                        }
                        try {
                            entrySites = unit.resolver.resolve(new ProbePoint(p.components().subList(0, p.size() - 1)));
                        } catch (ProbeException | MissingFeatureException e) {
                            throw CompileException.at(pt.location(), e.getMessage());
                        }
                    }
                    KernelReads entryReads = new KernelReads(entrySites);
                    Handler eh = entryHandler(b, entrySites, entryReads, id);
                    for (ProbeSite s : entryReads.apply()) {
                        // The return's handler ignores other tasks: their entries are not needed either.
                        if (comm != null) {
                            commFilters.put(sites.size(), comm);
                        }
                        sites.add(s);
                        handlers.add(eh);
                    }
                }
            }
        }
        return new Plan(sites, handlers, begin, end, timers, stackSites, commFilters);
    }

    /**
     * NAME when the probe's first statement is {@code if (execname() != "NAME") next} (without else): its handler
     * does nothing in any other task, so the kernel may drop those hits (a task name is at most 15 bytes, and a
     * name the kernel's filter syntax cannot hold is left to the handler); else null.
     */
    static String commFilter(Script.Probe probe) {
        List<Stmt> body = probe.body().statements();
        if (body.isEmpty() || !(body.get(0) instanceof Stmt.If f) || f.otherwise() != null) {
            return null;
        }
        Stmt then = f.then();
        if (then instanceof Stmt.Block b && b.statements().size() == 1) {
            then = b.statements().get(0);
        }
        if (!(then instanceof Stmt.Next) || !(f.condition() instanceof Expr.Binary c)
                || c.op() != Expr.BinaryOp.NE) {
            return null;
        }
        Expr call = c.left() instanceof Expr.Call ? c.left() : c.right();
        Expr name = call == c.left() ? c.right() : c.left();
        if (!(call instanceof Expr.Call x) || !x.function().equals("execname") || !x.arguments().isEmpty()
                || !(name instanceof Expr.StringLiteral lit)) {
            return null;
        }
        String v = lit.value();
        boolean plain = !v.isEmpty() && v.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 15
                && v.chars().allMatch(ch -> ch > ' ' && ch < 127 && ch != '"' && ch != '\\' && ch != '*' && ch != '?'
                && ch != '[');
        return plain ? v : null;
    }

    /**
     * {@code process("PATH").end}: the exit of a process running PATH — one that started while the probes were
     * armed (its entry point was hit) or that was running when they were armed. Its threads' exits are not its
     * end: the body runs when the thread-group leader exits (sched:sched_process_exit with tid == pid). Returns
     * false when an optional point ({@code ?}) resolves to nothing.
     */
    private boolean processEnd(Script.Probe probe, Script.Point pt, int id, List<ProbeSite> sites,
            List<Handler> handlers) throws CompileException {
        ProbePoint p = pt.point();
        List<ProbeSite> starts;
        List<ProbeSite> exits;
        try {
            starts = unit.resolver.resolve(new ProbePoint(List.of(p.first(), new ProbePoint.Component("begin", null))));
            exits = unit.resolver.resolve(new ProbePoint(List.of(new ProbePoint.Component("kernel", null),
                    new ProbePoint.Component("trace", "sched:sched_process_exit"))));
        } catch (ProbeException | MissingFeatureException e) {
            if (pt.optional()) {
                return false;
            }
            throw CompileException.at(pt.location(), e.getMessage());
        }
        java.util.Set<Integer> live = new HashSet<>();
        for (ProbeSite s : starts) {
            live.addAll(org.fleettap.agent.target.Tasks.running(((UprobeSite) s).binary()));
        }
        Body b = new Body(pt, false, List.of());
        b.sites = exits;
        Handler body = handler(probe, b, id);
        Handler started = ctx -> live.add(ctx.pid());
        Handler ended = ctx -> {
            if (ctx.tid() == ctx.pid() && live.remove(ctx.pid())) {
                body.handle(ctx);
            }
        };
        for (ProbeSite s : starts) {
            sites.add(s);
            handlers.add(started);
        }
        for (ProbeSite s : exits) {
            sites.add(s);
            handlers.add(ended);
        }
        return true;
    }

    private Handler handler(Script.Probe probe, Body b, int id) {
        Body saved = unit.body;
        unit.body = b;
        try {
            unit.checked.locals(probe).forEach((name, v) -> unit.body.slot(name, v.type()));
            X code = unit.statements.stmt(probe.body());
            ProbePoint p = b.point.point();
            boolean beginOrEnd = p.size() == 1 && (p.first().name().equals("begin") || p.first().name().equals("end"));
            Env env = new Env(state, b.longSlots.size(), b.stringSlots.size(), beginOrEnd ? 10 : 1);
            boolean entries = !b.entries.isEmpty();
            return ctx -> {
                env.reset(ctx);
                if (entries) {
                    env.entry = state.entryStack(id, ctx.tid()).pollLast();
                }
                try {
                    code.exec(env);
                } catch (RuntimeException e) {
                    // StapRuntimeException with stap's message, or a field this event does not have.
                    throw new HandlerException(e.getMessage());
                } finally {
                    state.out.flush();
                }
            };
        } finally {
            unit.body = saved;
        }
    }

    /** The handler of the entry sites of a return probe with {@code @entry}: saves the operands' values. */
    private Handler entryHandler(Body returnBody, List<ProbeSite> entrySites, KernelReads reads, int id) {
        Body saved = unit.body;
        unit.body = new Body(returnBody.point, true, List.of());
        unit.body.sites = entrySites;
        unit.body.reads = reads;
        try {
            List<V> values = new ArrayList<>();
            for (Expr.Entry en : returnBody.entries) {
                values.add(unit.expressions.value(en.operand()));
            }
            V[] vs = values.toArray(new V[0]);
            Env env = new Env(state, 0, 0);
            return ctx -> {
                env.reset(ctx);
                Object[] saved1 = new Object[vs.length];
                try {
                    for (int i = 0; i < vs.length; i++) {
                        saved1[i] = vs[i].eval(env);
                    }
                } catch (RuntimeException e) {
                    throw new HandlerException(e.getMessage());
                }
                ArrayDeque<Object[]> stack = state.entryStack(id, ctx.tid());
                if (stack.size() < 10_000) {
                    stack.addLast(saved1);
                }
            };
        } finally {
            unit.body = saved;
        }
    }
}
