package org.fleettap.agent.compiler;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongBinaryOperator;
import org.fleettap.agent.demangle.Demangler;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.probe.ProbeException;
import org.fleettap.agent.probe.ProbePoint;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.probe.ProbeSite;
import org.fleettap.agent.probe.TracepointSite;
import org.fleettap.agent.probe.UprobeSite;
import org.fleettap.agent.runtime.HistogramSpec;
import org.fleettap.agent.runtime.MapDecl;
import org.fleettap.agent.runtime.Stat;
import org.fleettap.agent.runtime.StapFormat;
import org.fleettap.agent.runtime.StapLong;
import org.fleettap.agent.runtime.StapMap;
import org.fleettap.agent.runtime.StapRuntimeException;
import org.fleettap.agent.runtime.StapString;
import org.fleettap.agent.runtime.StapType;
import org.fleettap.agent.script.CheckedScript;
import org.fleettap.agent.script.Expr;
import org.fleettap.agent.script.Script;
import org.fleettap.agent.script.Signature;
import org.fleettap.agent.script.SourceLocation;
import org.fleettap.agent.script.Stmt;
import org.fleettap.agent.script.Type;
import org.fleettap.agent.script.VariableInfo;
import org.fleettap.agent.session.EventContext;
import org.fleettap.agent.session.Handler;
import org.fleettap.agent.session.HandlerException;
import org.fleettap.agent.session.Plan;
import org.fleettap.agent.target.Tasks;

/**
 * Compiles a checked script to closures: every variable is resolved to a slot (global or frame) at compile time,
 * every operator to a small lambda, every probe point to probe sites with one handler each. Constructs not
 * implemented yet are compile errors ("... is not supported yet") at their source location.
 */
public final class ScriptCompiler {
    /** stap's MAXNESTING: how deep user functions may call each other. */
    static final int MAX_NESTING = 10;

    static final int NORMAL = 0;
    static final int BREAK = 1;
    static final int CONTINUE = 2;
    static final int RETURN = 3;
    static final int NEXT = 4;

    interface L {
        long eval(Env e);
    }

    interface S {
        String eval(Env e);
    }

    interface V {
        Object eval(Env e);
    }

    interface X {
        int exec(Env e);
    }

    /** An assignable place: {@code key} evaluates an array element's key once (null for scalars). */
    interface LPlace {
        Object key(Env e);

        long get(Env e, Object key);

        void set(Env e, Object key, long v);
    }

    interface SPlace {
        Object key(Env e);

        String get(Env e, Object key);

        void set(Env e, Object key, String v);
    }

    private final CheckedScript checked;
    private final ProbeResolver resolver;
    private final List<String> arguments;
    private final Map<String, Integer> globalIndex = new HashMap<>();
    private final List<CompiledScript.GlobalSlot> globalSlots = new ArrayList<>();
    private final Map<String, FunctionCode> functions = new HashMap<>();
    private ScriptState state;

    /** What is known while compiling one body (a probe point's handler or a function). */
    private static final class Body {
        final Map<String, Integer> longSlots = new HashMap<>();
        final Map<String, Integer> stringSlots = new HashMap<>();
        final Script.Point point;
        final boolean entryContext;
        final List<Expr.Entry> entries;
        /** Target variables of a return probe, read at the function's entry as stap does: their @entry. */
        final Map<Expr.Target, Expr.Entry> implicitEntries = new HashMap<>();
        /** The sites this body's point resolved to (for DWARF member offsets). */
        List<ProbeSite> sites = List.of();
        boolean usesStack;

        Body(Script.Point point, boolean entryContext, List<Expr.Entry> entries) {
            this.point = point;
            this.entryContext = entryContext;
            this.entries = entries;
        }
    }

    private Body body;

    /** A user function, compiled once (its body is filled in after its slots, so recursion works). */
    private static final class FunctionCode {
        X code;
        int longSlots;
        int stringSlots;
        int[] parameterSlots;
        boolean[] parameterIsString;
    }

    private ScriptCompiler(CheckedScript checked, ProbeResolver resolver, List<String> arguments) {
        this.checked = checked;
        this.resolver = resolver;
        this.arguments = List.copyOf(arguments);
    }

    /** Compiles {@code script}, resolving its probe points with {@code resolver}; output goes to {@code out}. */
    public static CompiledScript compile(CheckedScript script, ProbeResolver resolver, PrintStream out)
            throws CompileException {
        return compile(script, resolver, out, List.of());
    }

    /** As {@link #compile(CheckedScript, ProbeResolver, PrintStream)}, with the script's arguments ($1, @1...). */
    public static CompiledScript compile(CheckedScript script, ProbeResolver resolver, PrintStream out,
            List<String> arguments) throws CompileException {
        return new ScriptCompiler(script, resolver, arguments).run(out);
    }

    /** The text of script argument {@code a} ($N / @N), or a compile error naming the valid range. */
    private String argument(Expr.ScriptArgument a) {
        if (a.index() < 1 || a.index() > arguments.size()) {
            throw new Unsupported(a.location(), "command line argument index " + a.index() + " out of range [1-"
                    + arguments.size() + "]");
        }
        return arguments.get(a.index() - 1);
    }

    private CompiledScript run(PrintStream out) throws CompileException {
        try {
            return build(out);
        } catch (Unsupported u) {
            throw CompileException.at(u.location, u.getMessage());
        }
    }

    /** Thrown inside the compiler's recursion; becomes a CompileException. */
    private static final class Unsupported extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient SourceLocation location;

        Unsupported(SourceLocation location, String message) {
            super(message, null, false, false);
            this.location = location;
        }
    }

    private static Unsupported unsupported(SourceLocation at, String what) {
        return new Unsupported(at, what + " is not supported yet");
    }

    // ---- globals -------------------------------------------------------------------------------

    private CompiledScript build(PrintStream out) throws CompileException {
        Script script = checked.script();
        Map<String, HistogramSpec> histograms = histograms(script);
        int longs = 0;
        int strings = 0;
        List<Stat> stats = new ArrayList<>();
        List<StapMap> maps = new ArrayList<>();
        Map<String, Script.Global> declarations = new HashMap<>();
        script.globals().forEach(g -> declarations.put(g.name(), g));
        for (VariableInfo v : checked.globals().values()) {
            int index;
            HistogramSpec h = histograms.getOrDefault(v.name(), HistogramSpec.none());
            if (v.array()) {
                List<StapType> keys = v.keyTypes().stream().map(ScriptCompiler::stapType).toList();
                MapDecl.ValueKind kind = switch (v.type()) {
                    case STRING -> MapDecl.ValueKind.STRING;
                    case STATS -> MapDecl.ValueKind.STAT;
                    default -> MapDecl.ValueKind.LONG;
                };
                int size = v.size() == null ? 0 : (int) Math.min(Integer.MAX_VALUE, v.size());
                index = maps.size();
                maps.add(new StapMap(new MapDecl(v.name(), keys, kind,
                        kind == MapDecl.ValueKind.STAT ? h : HistogramSpec.none(), size, false)));
            } else if (v.type() == Type.STATS) {
                index = stats.size();
                stats.add(new Stat(h));
            } else if (v.type() == Type.STRING) {
                index = strings++;
            } else {
                index = longs++;
            }
            globalIndex.put(v.name(), index);
            globalSlots.add(new CompiledScript.GlobalSlot(v, index));
        }
        state = new ScriptState(longs, strings, stats.toArray(new Stat[0]), maps.toArray(new StapMap[0]), out);
        for (VariableInfo v : checked.globals().values()) {
            Script.Global g = declarations.get(v.name());
            if (g != null && g.initialiser() != null && !v.array()) {
                if (g.initialiser() instanceof Expr.IntLiteral i) {
                    state.longs[globalIndex.get(v.name())] = i.value();
                } else if (g.initialiser() instanceof Expr.StringLiteral s) {
                    state.strings[globalIndex.get(v.name())] = s.value();
                }
            }
        }
        return probes(script);
    }

    private Map<String, HistogramSpec> histograms(Script script) {
        Map<String, HistogramSpec> out = new HashMap<>();
        Consumer<Expr> visit = x -> {
            if (x instanceof Expr.Histogram h) {
                String name = h.operand() instanceof Expr.Variable v ? v.name()
                        : h.operand() instanceof Expr.Index i ? i.array() : null;
                if (name == null) {
                    throw unsupported(h.location(), "a histogram of an expression");
                }
                HistogramSpec spec;
                try {
                    spec = h.kind() == Expr.HistogramKind.LOG ? HistogramSpec.log()
                            : HistogramSpec.linear(h.parameters().get(0), h.parameters().get(1),
                                    h.parameters().get(2));
                } catch (IllegalArgumentException e) {
                    throw new Unsupported(h.location(), e.getMessage());
                }
                HistogramSpec before = out.putIfAbsent(name, spec);
                if (before != null && !before.equals(spec)) {
                    throw unsupported(h.location(), "more than one kind of histogram of '" + name + "'");
                }
            }
        };
        script.probes().forEach(p -> Walk.stmt(p.body(), visit));
        script.functions().forEach(f -> Walk.stmt(f.body(), visit));
        return out;
    }

    private static StapType stapType(Type t) {
        return t == Type.STRING ? StapType.STRING : StapType.LONG;
    }

    // ---- probes --------------------------------------------------------------------------------

    private CompiledScript probes(Script script) throws CompileException {
        List<ProbeSite> sites = new ArrayList<>();
        List<Handler> handlers = new ArrayList<>();
        List<Handler> begin = new ArrayList<>();
        List<Handler> end = new ArrayList<>();
        List<Plan.Timer> timers = new ArrayList<>();
        Set<Integer> stackSites = new HashSet<>();
        int probeNumber = 0;
        for (Script.Probe probe : script.probes()) {
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
                List<ProbeSite> resolved;
                try {
                    resolved = resolver.resolve(p);
                    boolean mark = p.at(1).map(c -> c.name().equals("mark")).orElse(false);
                    boolean usesReturn = targets.stream().anyMatch(t -> ((Expr.Target) t).isReturn());
                    boolean usesParams = targets.stream().anyMatch(t -> !((Expr.Target) t).isReturn());
                    if (mark) {
                        resolved = resolver.withMarkArguments(resolved);
                    } else if (usesParams && !pt.isReturn()) {
                        resolved = resolver.withFunctionArguments(resolved);
                    }
                    if (usesReturn && pt.isReturn()) {
                        List<ProbeSite> withReturn = new ArrayList<>();
                        for (ProbeSite s : resolved) {
                            withReturn.add(s instanceof UprobeSite u && u.retprobe() ? resolver.withReturnValue(u) : s);
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
                Handler h = handler(probe, b, id);
                for (ProbeSite s : resolved) {
                    if (b.usesStack) {
                        stackSites.add(sites.size());
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
                            entrySites = resolver.resolve(new ProbePoint(p.components().subList(0, p.size() - 1)));
                        } catch (ProbeException | MissingFeatureException e) {
                            throw CompileException.at(pt.location(), e.getMessage());
                        }
                    }
                    boolean entryParams = entries.stream().anyMatch(en -> {
                        boolean[] any = {false};
                        Walk.expr(en.operand(), x -> any[0] |= x instanceof Expr.Target);
                        return any[0];
                    });
                    if (entryParams) {
                        try {
                            entrySites = resolver.withFunctionArguments(entrySites);
                        } catch (ProbeException e) {
                            throw CompileException.at(pt.location(), e.getMessage());
                        }
                    }
                    Handler eh = entryHandler(b, id);
                    for (ProbeSite s : entrySites) {
                        sites.add(s);
                        handlers.add(eh);
                    }
                }
            }
        }
        Plan plan = new Plan(sites, handlers, begin, end, timers, stackSites);
        return new CompiledScript(plan, state, globalSlots);
    }

    private Handler handler(Script.Probe probe, Body b, int id) {
        Body saved = body;
        body = b;
        try {
            checked.locals(probe).forEach((name, v) -> slot(name, v.type()));
            X code = stmt(probe.body());
            Env env = new Env(state, b.longSlots.size(), b.stringSlots.size());
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
            body = saved;
        }
    }

    /** The handler of the entry sites of a return probe with {@code @entry}: saves the operands' values. */
    private Handler entryHandler(Body returnBody, int id) {
        Body saved = body;
        body = new Body(returnBody.point, true, List.of());
        body.sites = returnBody.sites;
        try {
            List<V> values = new ArrayList<>();
            for (Expr.Entry en : returnBody.entries) {
                values.add(value(en.operand()));
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
            body = saved;
        }
    }

    private int slot(String name, Type type) {
        Map<String, Integer> slots = type == Type.STRING ? body.stringSlots : body.longSlots;
        return slots.computeIfAbsent(name, n -> slots.size());
    }

    // ---- statements ----------------------------------------------------------------------------

    private X stmt(Stmt s) {
        if (s == null) {
            return e -> NORMAL;
        }
        if (s instanceof Stmt.Block b) {
            X[] xs = b.statements().stream().map(this::stmt).toArray(X[]::new);
            return e -> {
                for (X x : xs) {
                    int c = x.exec(e);
                    if (c != NORMAL) {
                        return c;
                    }
                }
                return NORMAL;
            };
        }
        if (s instanceof Stmt.Empty) {
            return e -> NORMAL;
        }
        if (s instanceof Stmt.ExprStatement es) {
            X x = effect(es.expression());
            return x;
        }
        if (s instanceof Stmt.If i) {
            L c = cond(i.condition());
            X t = stmt(i.then());
            X o = stmt(i.otherwise());
            return e -> c.eval(e) != 0 ? t.exec(e) : o.exec(e);
        }
        if (s instanceof Stmt.While w) {
            return loop(cond(w.condition()), stmt(w.body()), null);
        }
        if (s instanceof Stmt.For f) {
            X init = f.init() == null ? null : effect(f.init());
            L c = f.condition() == null ? e -> 1 : cond(f.condition());
            X step = f.step() == null ? null : effect(f.step());
            X l = loop(c, stmt(f.body()), step);
            return init == null ? l : e -> {
                init.exec(e);
                return l.exec(e);
            };
        }
        if (s instanceof Stmt.Foreach f) {
            return foreach(f);
        }
        if (s instanceof Stmt.Next) {
            return e -> NEXT;
        }
        if (s instanceof Stmt.Break) {
            return e -> BREAK;
        }
        if (s instanceof Stmt.Continue) {
            return e -> CONTINUE;
        }
        if (s instanceof Stmt.Return r) {
            if (r.value() == null) {
                return e -> RETURN;
            }
            if (type(r.value()) == Type.STRING) {
                S v = str(r.value());
                return e -> {
                    e.returnString = v.eval(e);
                    return RETURN;
                };
            }
            L v = lng(r.value());
            return e -> {
                e.returnLong = v.eval(e);
                return RETURN;
            };
        }
        if (s instanceof Stmt.Delete d) {
            return delete(d);
        }
        throw unsupported(s.location(), "'" + s.getClass().getSimpleName().toLowerCase() + "'");
    }

    private static X loop(L cond, X b, X step) {
        return e -> {
            while (cond.eval(e) != 0) {
                int c = b.exec(e);
                if (c == BREAK) {
                    break;
                }
                if (c == RETURN || c == NEXT) {
                    return c;
                }
                if (step != null) {
                    step.exec(e);
                }
            }
            return NORMAL;
        };
    }

    private X foreach(Stmt.Foreach f) {
        VariableInfo array = checked.variable(f).orElseThrow(() -> unsupported(f.location(), "foreach over '"
                + f.array() + "'"));
        if (!array.array()) {
            throw unsupported(f.location(), "foreach over a non-array");
        }
        int mi = globalIndex.get(array.name());
        StapMap map = state.maps[mi];
        List<StapType> keyTypes = map.decl().keyTypes();
        int n = f.keyVariables().size();
        int[] keySlots = new int[n];
        boolean[] keyString = new boolean[n];
        for (int k = 0; k < n; k++) {
            keyString[k] = keyTypes.get(k) == StapType.STRING;
            keySlots[k] = slot(f.keyVariables().get(k), keyString[k] ? Type.STRING : Type.LONG);
        }
        MapDecl.ValueKind kind = map.decl().valueKind();
        int valueSlot = -1;
        if (f.valueVariable() != null) {
            if (kind == MapDecl.ValueKind.STAT) {
                throw unsupported(f.location(), "a value variable over an array of statistics");
            }
            valueSlot = slot(f.valueVariable(), kind == MapDecl.ValueKind.STRING ? Type.STRING : Type.LONG);
        }
        StapMap.Order order = StapMap.Order.NONE;
        if (f.sorted()) {
            int dir = f.descending() ? -1 : 1;
            if (f.sortColumn() == 0) {
                StapMap.StatField field = f.sortAggregate() == null ? StapMap.StatField.COUNT
                        : StapMap.StatField.valueOf(f.sortAggregate().name());
                order = StapMap.Order.byValue(field, dir);
            } else {
                order = StapMap.Order.byKey(f.sortColumn() - 1, dir);
            }
        }
        StapMap.Order base = order;
        L limit = f.limit() == null ? null : lng(f.limit());
        X b = stmt(f.body());
        int vs = valueSlot;
        return e -> {
            StapMap.Order o = limit == null ? base : base.withLimit(limit.eval(e));
            StapMap.Cursor c = map.foreach(o);
            while (c.next()) {
                for (int k = 0; k < n; k++) {
                    if (keyString[k]) {
                        e.strings[keySlots[k]] = c.keyString(k);
                    } else {
                        e.longs[keySlots[k]] = c.keyLong(k);
                    }
                }
                if (vs >= 0) {
                    if (kind == MapDecl.ValueKind.STRING) {
                        e.strings[vs] = c.valueString();
                    } else {
                        e.longs[vs] = c.valueLong();
                    }
                }
                int r = b.exec(e);
                if (r == BREAK) {
                    break;
                }
                if (r == RETURN || r == NEXT) {
                    return r;
                }
            }
            return NORMAL;
        };
    }

    private X delete(Stmt.Delete d) {
        Expr t = d.target();
        if (t instanceof Expr.Index ix) {
            StapMap map = map(ix.array());
            V key = key(ix, map);
            return e -> {
                deleteKey(map, key.eval(e));
                return NORMAL;
            };
        }
        if (t instanceof Expr.Variable v) {
            VariableInfo info = info(v);
            if (info.scope() != VariableInfo.Scope.GLOBAL) {
                if (info.type() == Type.STRING) {
                    int slot = slot(v.name(), Type.STRING);
                    return e -> {
                        e.strings[slot] = "";
                        return NORMAL;
                    };
                }
                int slot = slot(v.name(), Type.LONG);
                return e -> {
                    e.longs[slot] = 0;
                    return NORMAL;
                };
            }
            int g = globalIndex.get(info.name());
            if (info.array()) {
                StapMap map = state.maps[g];
                return e -> {
                    map.clear();
                    return NORMAL;
                };
            }
            return switch (info.type()) {
                case STATS -> e -> {
                    state.stats[g].clear();
                    return NORMAL;
                };
                case STRING -> e -> {
                    state.strings[g] = "";
                    return NORMAL;
                };
                default -> e -> {
                    state.longs[g] = 0;
                    return NORMAL;
                };
            };
        }
        throw unsupported(d.location(), "this form of delete");
    }

    private static void deleteKey(StapMap map, Object k) {
        map.delete((StapMap.Key) k);
    }

    // ---- expressions ---------------------------------------------------------------------------

    private Type type(Expr x) {
        Type t = checked.typeOf(x);
        return t == Type.UNKNOWN ? Type.LONG : t;
    }

    private VariableInfo info(Expr x) {
        return checked.variable(x).orElseThrow(() -> unsupported(x.location(), "this variable"));
    }

    private L cond(Expr x) {
        if (type(x) == Type.STRING) {
            throw unsupported(x.location(), "a string as a condition");
        }
        return lng(x);
    }

    /** An expression evaluated for its effect. */
    private X effect(Expr x) {
        if (x instanceof Expr.Call c) {
            X v = callVoid(c);
            if (v != null) {
                return v;
            }
        }
        if (x instanceof Expr.Accumulate a) {
            L v = lng(a.value());
            if (a.target() instanceof Expr.Index ix) {
                StapMap map = map(ix.array());
                V key = key(ix, map);
                return e -> {
                    StapMap.Key k = (StapMap.Key) key.eval(e);
                    map.stat(k).add(v.eval(e));
                    return NORMAL;
                };
            }
            Stat s = state.stats[globalIndex.get(info(a.target()).name())];
            return e -> {
                s.add(v.eval(e));
                return NORMAL;
            };
        }
        Type t = type(x);
        if (t == Type.STRING) {
            S s = str(x);
            return e -> {
                s.eval(e);
                return NORMAL;
            };
        }
        if (t == Type.VOID) {
            throw unsupported(x.location(), "this statement");
        }
        L l = lng(x);
        return e -> {
            l.eval(e);
            return NORMAL;
        };
    }

    private V value(Expr x) {
        if (type(x) == Type.STRING) {
            S s = str(x);
            return s::eval;
        }
        L l = lng(x);
        return e -> l.eval(e);
    }

    private StapMap map(String name) {
        return state.maps[globalIndex.get(name)];
    }

    /** The key of an array element, evaluated into a fresh tuple. */
    private V key(Expr.Index ix, StapMap map) {
        return keys(ix.keys(), map, ix.location());
    }

    private V keys(List<Expr> exprs, StapMap map, SourceLocation at) {
        List<StapType> types = map.decl().keyTypes();
        if (types.size() != exprs.size()) {
            throw unsupported(at, "a key of the wrong arity");
        }
        int n = exprs.size();
        L[] longs = new L[n];
        S[] strings = new S[n];
        for (int k = 0; k < n; k++) {
            if (types.get(k) == StapType.STRING) {
                strings[k] = str(exprs.get(k));
            } else {
                longs[k] = lng(exprs.get(k));
            }
        }
        return e -> {
            StapMap.Key key = map.newKey();
            for (int k = 0; k < n; k++) {
                if (strings[k] != null) {
                    key.set(k, strings[k].eval(e));
                } else {
                    key.set(k, longs[k].eval(e));
                }
            }
            return key;
        };
    }

    private L lng(Expr x) {
        if (x instanceof Expr.IntLiteral i) {
            long v = i.value();
            return e -> v;
        }
        if (x instanceof Expr.ScriptArgument a) {
            String text = argument(a).strip();
            long v;
            try {
                v = Long.decode(text);
            } catch (NumberFormatException ex) {
                throw new Unsupported(a.location(), "command line argument " + a.index() + " ('" + text
                        + "') is not a number; use @" + a.index() + " for a string");
            }
            return e -> v;
        }
        if (x instanceof Expr.Variable || x instanceof Expr.Index) {
            LPlace p = lplace(x);
            return e -> p.get(e, p.key(e));
        }
        if (x instanceof Expr.Call c) {
            return callLong(c);
        }
        if (x instanceof Expr.Target t) {
            return target(t);
        }
        if (x instanceof Expr.Entry en) {
            int i = entryIndex(en);
            return e -> e.entry == null ? 0 : (Long) e.entry[i];
        }
        if (x instanceof Expr.Aggregate a) {
            return aggregate(a);
        }
        if (x instanceof Expr.Unary u) {
            L o = lng(u.operand());
            return switch (u.op()) {
                case NEGATE -> e -> -o.eval(e);
                case PLUS -> o;
                case NOT -> e -> o.eval(e) == 0 ? 1 : 0;
                case COMPLEMENT -> e -> ~o.eval(e);
            };
        }
        if (x instanceof Expr.Increment inc) {
            LPlace p = lplace(inc.target());
            long d = inc.increment() ? 1 : -1;
            boolean prefix = inc.prefix();
            return e -> {
                Object k = p.key(e);
                long old = p.get(e, k);
                p.set(e, k, old + d);
                return prefix ? old + d : old;
            };
        }
        if (x instanceof Expr.Binary b) {
            return binary(b);
        }
        if (x instanceof Expr.Ternary t) {
            L c = cond(t.condition());
            L a = lng(t.then());
            L o = lng(t.otherwise());
            return e -> c.eval(e) != 0 ? a.eval(e) : o.eval(e);
        }
        if (x instanceof Expr.Membership m) {
            StapMap map = map(m.array());
            V key = keys(m.keys(), map, m.location());
            return e -> map.contains((StapMap.Key) key.eval(e)) ? 1 : 0;
        }
        if (x instanceof Expr.Assign a) {
            LPlace p = lplace(a.target());
            L v = lng(a.value());
            if (a.op() == Expr.AssignOp.ASSIGN) {
                return e -> {
                    Object k = p.key(e);
                    long nv = v.eval(e);
                    p.set(e, k, nv);
                    return nv;
                };
            }
            LongBinaryOperator f = arithmetic(a.op().binary(), a.location());
            return e -> {
                Object k = p.key(e);
                long r = v.eval(e);
                long nv = f.applyAsLong(p.get(e, k), r);
                p.set(e, k, nv);
                return nv;
            };
        }
        throw unsupported(x.location(), "this expression as a number");
    }

    private int entryIndex(Expr.Entry en) {
        int i = body.entries.indexOf(en);
        if (i < 0) {
            throw unsupported(en.location(), "@entry here");
        }
        return i;
    }

    private L binary(Expr.Binary b) {
        switch (b.op()) {
            case AND -> {
                L l = cond(b.left());
                L r = cond(b.right());
                return e -> l.eval(e) != 0 && r.eval(e) != 0 ? 1 : 0;
            }
            case OR -> {
                L l = cond(b.left());
                L r = cond(b.right());
                return e -> l.eval(e) != 0 || r.eval(e) != 0 ? 1 : 0;
            }
            default -> { }
        }
        if (b.op().isComparison() && type(b.left()) == Type.STRING) {
            S l = str(b.left());
            S r = str(b.right());
            return switch (b.op()) {
                case EQ -> e -> l.eval(e).equals(r.eval(e)) ? 1 : 0;
                case NE -> e -> l.eval(e).equals(r.eval(e)) ? 0 : 1;
                case LT -> e -> compare(l.eval(e), r.eval(e)) < 0 ? 1 : 0;
                case LE -> e -> compare(l.eval(e), r.eval(e)) <= 0 ? 1 : 0;
                case GT -> e -> compare(l.eval(e), r.eval(e)) > 0 ? 1 : 0;
                default -> e -> compare(l.eval(e), r.eval(e)) >= 0 ? 1 : 0;
            };
        }
        L l = lng(b.left());
        L r = lng(b.right());
        LongBinaryOperator f = arithmetic(b.op(), b.location());
        return e -> f.applyAsLong(l.eval(e), r.eval(e));
    }

    /** strcmp order: by UTF-8 bytes, which for strings is code point order. */
    private static int compare(String a, String b) {
        return java.util.Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
    }

    private static LongBinaryOperator arithmetic(Expr.BinaryOp op, SourceLocation at) {
        return switch (op) {
            case ADD -> (a, b) -> a + b;
            case SUB -> (a, b) -> a - b;
            case MUL -> (a, b) -> a * b;
            case DIV -> StapLong::div;
            case MOD -> StapLong::mod;
            case SHL -> (a, b) -> a << b;
            case SHR -> (a, b) -> a >> b;
            case BIT_AND -> (a, b) -> a & b;
            case BIT_OR -> (a, b) -> a | b;
            case BIT_XOR -> (a, b) -> a ^ b;
            case EQ -> (a, b) -> a == b ? 1 : 0;
            case NE -> (a, b) -> a != b ? 1 : 0;
            case LT -> (a, b) -> a < b ? 1 : 0;
            case LE -> (a, b) -> a <= b ? 1 : 0;
            case GT -> (a, b) -> a > b ? 1 : 0;
            case GE -> (a, b) -> a >= b ? 1 : 0;
            default -> throw unsupported(at, "'" + op.spelling() + "' on numbers");
        };
    }

    private S str(Expr x) {
        if (x instanceof Expr.StringLiteral s) {
            String v = s.value();
            return e -> v;
        }
        if (x instanceof Expr.ScriptArgument a) {
            String v = argument(a);
            return e -> v;
        }
        if (x instanceof Expr.Variable || x instanceof Expr.Index) {
            SPlace p = splace(x);
            return e -> p.get(e, p.key(e));
        }
        if (x instanceof Expr.Call c) {
            return callString(c);
        }
        if (x instanceof Expr.Entry en) {
            int i = entryIndex(en);
            return e -> e.entry == null ? "" : (String) e.entry[i];
        }
        if (x instanceof Expr.Target t) {
            if (!t.members().isEmpty() || t.addressOf()) {
                throw unsupported(t.location(), "'" + t.spelling() + "'");
            }
            String name = t.name();
            return e -> e.ctx.stringField(name);
        }
        if (x instanceof Expr.Binary b && b.op() == Expr.BinaryOp.CONCAT) {
            S l = str(b.left());
            S r = str(b.right());
            return e -> StapString.concat(l.eval(e), r.eval(e));
        }
        if (x instanceof Expr.Ternary t) {
            L c = cond(t.condition());
            S a = str(t.then());
            S o = str(t.otherwise());
            return e -> c.eval(e) != 0 ? a.eval(e) : o.eval(e);
        }
        if (x instanceof Expr.Assign a) {
            SPlace p = splace(a.target());
            S v = str(a.value());
            boolean concat = a.op() == Expr.AssignOp.CONCAT;
            if (!concat && a.op() != Expr.AssignOp.ASSIGN) {
                throw unsupported(a.location(), "'" + a.op().spelling() + "' on strings");
            }
            return e -> {
                Object k = p.key(e);
                String nv = v.eval(e);
                if (concat) {
                    nv = StapString.concat(p.get(e, k), nv);
                }
                p.set(e, k, nv);
                return nv;
            };
        }
        throw unsupported(x.location(), "this expression as a string");
    }

    // ---- places --------------------------------------------------------------------------------

    private LPlace lplace(Expr x) {
        if (x instanceof Expr.Index ix) {
            StapMap map = map(ix.array());
            if (map.decl().valueKind() != MapDecl.ValueKind.LONG) {
                throw unsupported(x.location(), "this use of '" + ix.array() + "'");
            }
            V key = key(ix, map);
            return new LPlace() {
                public Object key(Env e) {
                    return key.eval(e);
                }

                public long get(Env e, Object k) {
                    return map.getLong((StapMap.Key) k);
                }

                public void set(Env e, Object k, long v) {
                    map.put((StapMap.Key) k, v);
                }
            };
        }
        if (!(x instanceof Expr.Variable)) {
            throw unsupported(x.location(), "assigning to this");
        }
        VariableInfo v = info(x);
        if (v.scope() == VariableInfo.Scope.GLOBAL) {
            if (v.array() || v.type() == Type.STATS) {
                throw unsupported(x.location(), "this use of '" + v.name() + "'");
            }
            int g = globalIndex.get(v.name());
            long[] longs = state.longs;
            return new LPlace() {
                public Object key(Env e) {
                    return null;
                }

                public long get(Env e, Object k) {
                    return longs[g];
                }

                public void set(Env e, Object k, long value) {
                    longs[g] = value;
                }
            };
        }
        int slot = slot(v.name(), Type.LONG);
        return new LPlace() {
            public Object key(Env e) {
                return null;
            }

            public long get(Env e, Object k) {
                return e.longs[slot];
            }

            public void set(Env e, Object k, long value) {
                e.longs[slot] = value;
            }
        };
    }

    private SPlace splace(Expr x) {
        if (x instanceof Expr.Index ix) {
            StapMap map = map(ix.array());
            if (map.decl().valueKind() != MapDecl.ValueKind.STRING) {
                throw unsupported(x.location(), "this use of '" + ix.array() + "'");
            }
            V key = key(ix, map);
            return new SPlace() {
                public Object key(Env e) {
                    return key.eval(e);
                }

                public String get(Env e, Object k) {
                    return map.getString((StapMap.Key) k);
                }

                public void set(Env e, Object k, String v) {
                    map.put((StapMap.Key) k, v);
                }
            };
        }
        if (!(x instanceof Expr.Variable)) {
            throw unsupported(x.location(), "assigning to this");
        }
        VariableInfo v = info(x);
        if (v.scope() == VariableInfo.Scope.GLOBAL) {
            int g = globalIndex.get(v.name());
            String[] strings = state.strings;
            return new SPlace() {
                public Object key(Env e) {
                    return null;
                }

                public String get(Env e, Object k) {
                    return strings[g];
                }

                public void set(Env e, Object k, String value) {
                    strings[g] = StapString.truncate(value);
                }
            };
        }
        int slot = slot(v.name(), Type.STRING);
        return new SPlace() {
            public Object key(Env e) {
                return null;
            }

            public String get(Env e, Object k) {
                return e.strings[slot];
            }

            public void set(Env e, Object k, String value) {
                e.strings[slot] = StapString.truncate(value);
            }
        };
    }

    // ---- statistics ----------------------------------------------------------------------------

    /** The statistic an operand names; null at run time for a missing array element. */
    private java.util.function.Function<Env, Stat> stat(Expr operand) {
        if (operand instanceof Expr.Index ix) {
            StapMap map = map(ix.array());
            V key = key(ix, map);
            return e -> map.statIfPresent((StapMap.Key) key.eval(e));
        }
        VariableInfo v = info(operand);
        if (v.type() != Type.STATS || v.array()) {
            throw unsupported(operand.location(), "this statistic operand");
        }
        Stat s = state.stats[globalIndex.get(v.name())];
        return e -> s;
    }

    private L aggregate(Expr.Aggregate a) {
        java.util.function.Function<Env, Stat> s = stat(a.operand());
        return switch (a.op()) {
            case COUNT -> e -> {
                Stat st = s.apply(e);
                return st == null ? 0 : st.count();
            };
            case SUM -> e -> {
                Stat st = s.apply(e);
                return st == null ? 0 : st.sum();
            };
            case MIN -> e -> present(s.apply(e)).min();
            case MAX -> e -> present(s.apply(e)).max();
            case AVG -> e -> present(s.apply(e)).avg();
        };
    }

    private static Stat present(Stat s) {
        if (s == null) {
            throw new StapRuntimeException(Stat.EMPTY_AGGREGATE);
        }
        return s;
    }

    // ---- calls ---------------------------------------------------------------------------------

    /** Calls that give no value (printf, print, exit, void user functions); null for value calls. */
    private X callVoid(Expr.Call c) {
        List<Expr> args = c.arguments();
        switch (c.function()) {
            case "print_ubacktrace" -> {
                // One line per frame of the user stack: " 0xADDR : FUNCTION+0xOFF [MODULE]" (names demangled).
                body.usesStack = true;
                boolean inReturnProbe = body.point != null && body.point.isReturn();
                return e -> {
                    long[] st = stack(e);
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < st.length; i++) {
                        sb.append(" 0x").append(Long.toHexString(st[i])).append(" : ");
                        if (e.state.session == null) {
                            sb.append("0x").append(Long.toHexString(st[i])).append('\n');
                            continue;
                        }
                        long lookup = i > 0 || inReturnProbe ? st[i] - 1 : st[i];
                        var f = e.state.session.symbolizer().symbolize(e.ctx.pid(), lookup);
                        String fn = f.function() == null ? "0x" + Long.toHexString(st[i])
                                : Demangler.demangle(f.function()).orElse(f.function()) + "+0x"
                                        + Long.toHexString(f.offset() + (lookup == st[i] ? 0 : 1));
                        sb.append(fn);
                        if (f.module() != null) {
                            sb.append(" [").append(f.module()).append(']');
                        }
                        sb.append('\n');
                    }
                    state.out.print(sb);
                    return NORMAL;
                };
            }
            case "printf" -> {
                StapFormat f = format(c);
                V[] vs = args.subList(1, args.size()).stream().map(this::value).toArray(V[]::new);
                return e -> {
                    Object[] a = new Object[vs.length];
                    for (int i = 0; i < vs.length; i++) {
                        a[i] = vs[i].eval(e);
                    }
                    StringBuilder sb = new StringBuilder();
                    f.printf(sb, a);
                    state.out.print(sb);
                    return NORMAL;
                };
            }
            case "print", "println" -> {
                List<java.util.function.BiConsumer<Env, StringBuilder>> parts = new ArrayList<>();
                for (Expr a : args) {
                    parts.add(printPart(a));
                }
                boolean nl = c.function().equals("println");
                return e -> {
                    StringBuilder sb = new StringBuilder();
                    for (var p : parts) {
                        p.accept(e, sb);
                    }
                    if (nl) {
                        sb.append('\n');
                    }
                    state.out.print(sb);
                    return NORMAL;
                };
            }
            case "exit" -> {
                return e -> {
                    if (state.session != null) {
                        state.session.exit();
                    }
                    return NORMAL;
                };
            }
            default -> { }
        }
        Signature sig = checked.callee(c);
        if (sig != null && !sig.builtin() && sig.returnType() == Type.VOID) {
            FunctionCall f = userCall(c);
            return e -> {
                f.call(e);
                return NORMAL;
            };
        }
        return null;
    }

    private java.util.function.BiConsumer<Env, StringBuilder> printPart(Expr a) {
        if (a instanceof Expr.Histogram h) {
            java.util.function.Function<Env, Stat> s = stat(h.operand());
            return (e, sb) -> present(s.apply(e)).appendHistogram(sb);
        }
        if (type(a) == Type.STRING) {
            S s = str(a);
            return (e, sb) -> sb.append(s.eval(e));
        }
        L l = lng(a);
        return (e, sb) -> sb.append(l.eval(e));
    }

    private StapFormat format(Expr.Call c) {
        if (c.arguments().isEmpty() || !(c.arguments().get(0) instanceof Expr.StringLiteral s)) {
            throw unsupported(c.location(), c.function() + " with a format that is not a literal");
        }
        try {
            return StapFormat.compile(s.value());
        } catch (IllegalArgumentException e) {
            throw new Unsupported(s.location(), e.getMessage());
        }
    }

    private L callLong(Expr.Call c) {
        List<Expr> args = c.arguments();
        Signature sig = checked.callee(c);
        if (sig != null && !sig.builtin()) {
            FunctionCall f = userCall(c);
            return e -> {
                f.call(e);
                return e.returnLong;
            };
        }
        switch (c.function()) {
            case "pid" -> {
                return e -> e.ctx.pid();
            }
            case "target" -> {
                return e -> e.state.session == null ? 0 : e.state.session.targetPid();
            }
            case "tid" -> {
                return e -> e.ctx.tid();
            }

            case "cpu" -> {
                return e -> e.ctx.cpu();
            }
            case "gettimeofday_s" -> {
                return e -> e.ctx.realtimeNanos() / 1_000_000_000L;
            }
            case "gettimeofday_ms" -> {
                return e -> e.ctx.realtimeNanos() / 1_000_000L;
            }
            case "gettimeofday_us" -> {
                return e -> e.ctx.realtimeNanos() / 1_000L;
            }
            case "gettimeofday_ns" -> {
                return e -> e.ctx.realtimeNanos();
            }
            case "local_clock_ns" -> {
                return e -> e.ctx.monotonicNanos();
            }
            case "strlen" -> {
                S s = str(args.get(0));
                return e -> StapString.byteLength(s.eval(e));
            }
            case "isinstr" -> {
                S a = str(args.get(0));
                S b = str(args.get(1));
                return e -> a.eval(e).contains(b.eval(e)) ? 1 : 0;
            }
            case "ustack" -> {
                body.usesStack = true;
                L n = lng(args.get(0));
                // In a return probe the sample is taken at the return address, in the caller: stap's frame 0 is
                // the returning function itself, so the unwound frames start at its frame 1 (ustack(1) is the
                // call site, as in the talk's lock names).
                int shift = body.point.isReturn() ? 1 : 0;
                return e -> {
                    long[] st = stack(e);
                    long i = n.eval(e) - shift;
                    return i >= 0 && i < st.length ? st[(int) i] : 0;
                };
            }
            default -> throw unsupported(c.location(), "'" + c.function() + "()'");
        }
    }

    /** Whether {@code addr} is a return address in this event's unwound stack (any frame in a return probe). */
    private static boolean isReturnAddress(Env e, long addr, boolean inReturnProbe) {
        long[] st = e.stack;
        if (st == null) {
            return false;
        }
        for (int i = inReturnProbe ? 0 : 1; i < st.length; i++) {
            if (st[i] == addr) {
                return true;
            }
        }
        return false;
    }

    private static long[] stack(Env e) {
        if (e.stack == null) {
            e.stack = e.state.stacks == null || e.ctx.record() == null ? new long[0]
                    : e.state.stacks.unwind(e.ctx.record());
        }
        return e.stack;
    }

    private S callString(Expr.Call c) {
        List<Expr> args = c.arguments();
        Signature sig = checked.callee(c);
        if (sig != null && !sig.builtin()) {
            FunctionCall f = userCall(c);
            return e -> {
                f.call(e);
                return e.returnString;
            };
        }
        switch (c.function()) {
            case "sprintf" -> {
                StapFormat f = format(c);
                V[] vs = args.subList(1, args.size()).stream().map(this::value).toArray(V[]::new);
                return e -> {
                    Object[] a = new Object[vs.length];
                    for (int i = 0; i < vs.length; i++) {
                        a[i] = vs[i].eval(e);
                    }
                    return f.sprintf(a);
                };
            }
            case "execname" -> {
                return e -> e.ctx.execname();
            }
            case "pid2execname" -> {
                L pid = lng(args.get(0));
                return e -> Tasks.execName((int) pid.eval(e));
            }
            case "pp" -> {
                String written = body.point == null ? "" : body.point.point().toString();
                return e -> pp(e.ctx, written);
            }
            case "ppfunc", "probefunc" -> {
                return e -> probefunc(e.ctx);
            }
            case "user_string" -> {
                if (args.get(0) instanceof Expr.Target t && t.members().isEmpty() && !t.addressOf()) {
                    String name = t.name();
                    return e -> e.ctx.stringField(name);
                }
                throw unsupported(c.location(), "user_string() of anything but a fetched string parameter");
            }
            case "substr" -> {
                S s = str(args.get(0));
                L start = lng(args.get(1));
                L len = lng(args.get(2));
                return e -> substr(s.eval(e), start.eval(e), len.eval(e));
            }
            case "thread_indent" -> {
                L d = lng(args.get(0));
                return e -> state.indent.threadIndent(d.eval(e), e.ctx.tid(), e.ctx.execname(),
                        e.ctx.realtimeNanos() / 1000);
            }
            case "ubacktrace" -> {
                body.usesStack = true;
                return e -> {
                    long[] st = stack(e);
                    StringBuilder sb = new StringBuilder();
                    for (long pc : st) {
                        if (sb.length() > 0) {
                            sb.append(' ');
                        }
                        sb.append("0x").append(Long.toHexString(pc));
                    }
                    return sb.toString();
                };
            }
            case "usymname", "usymfileline" -> {
                L a = lng(args.get(0));
                boolean name = c.function().equals("usymname");
                boolean inReturnProbe = body.point != null && body.point.isReturn();
                return e -> {
                    long addr = a.eval(e);
                    if (e.state.session == null) {
                        return "0x" + Long.toHexString(addr);
                    }
                    // A return address (a caller frame of this event's stack) is looked up at addr - 1: the
                    // call instruction, so the line is the call's, as stap and addr2line report it.
                    long lookup = isReturnAddress(e, addr, inReturnProbe) ? addr - 1 : addr;
                    var frame = e.state.session.symbolizer().symbolize(e.ctx.pid(), lookup);
                    if (!name) {
                        return frame.fileLine();
                    }
                    String symbol = frame.name();
                    return Demangler.demangle(symbol).orElse(symbol); // as the talk shows it after c++filt
                };
            }
            default -> throw unsupported(c.location(), "'" + c.function() + "()'");
        }
    }

    private static String substr(String s, long start, long length) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (start < 0 || start >= b.length || length <= 0) {
            return "";
        }
        int end = (int) Math.min(b.length, start + length);
        return new String(b, (int) start, end - (int) start, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String pp(EventContext ctx, String written) {
        if (ctx.site() instanceof UprobeSite u) {
            return "process(\"" + u.binary() + "\")." + u.name() + (u.retprobe() ? ".return" : "");
        }
        return written;
    }

    private static String probefunc(EventContext ctx) {
        if (ctx.site() instanceof UprobeSite u && u.name().startsWith("function(\"")) {
            return u.name().substring("function(\"".length(), u.name().length() - 2);
        }
        if (ctx.site() instanceof TracepointSite t) {
            return t.event();
        }
        return "";
    }

    // ---- target variables ----------------------------------------------------------------------

    /**
     * {@code &$p->a->b}: the parameter's value plus the members' offsets from DWARF, no memory read (each member
     * after the first '->' must be a struct or union inside the pointee, as in &$mutex->__data->__lock).
     */
    private L memberAddress(Expr.Target t) {
        UprobeSite site = null;
        for (ProbeSite s : body.sites) {
            if (s instanceof UprobeSite u) {
                site = u;
                break;
            }
        }
        if (site == null) {
            throw unsupported(t.location(), "'" + t.spelling() + "' here (members need a function's DWARF)");
        }
        long offset;
        try {
            offset = resolver.memberOffset(site, t.name(), t.members());
        } catch (ProbeException ex) {
            throw new Unsupported(t.location(), ex.getMessage());
        }
        String name = t.name();
        return e -> e.ctx.field(name) + offset;
    }

    private L target(Expr.Target t) {
        Expr.Entry implicitEntry = body.entryContext ? null : body.implicitEntries.get(t);
        if (implicitEntry != null) {
            int i = entryIndex(implicitEntry);
            return e -> e.entry == null ? 0 : (Long) e.entry[i];
        }
        if (t.addressOf() && !t.members().isEmpty()) {
            return memberAddress(t);
        }
        if (!t.members().isEmpty() || t.addressOf()) {
            throw unsupported(t.location(), "'" + t.spelling() + "'");
        }
        ProbePoint p = body.point.point();
        String kind = p.first().name();
        if (t.isReturn()) {
            if (body.entryContext || !body.point.isReturn()) {
                throw unsupported(t.location(), "$return outside a .return probe");
            }
            String field = kind.equals("syscall") ? "ret" : "retval";
            return e -> e.ctx.field(field);
        }
        boolean mark = p.at(1).map(c -> c.name().equals("mark")).orElse(false);
        if (mark && t.name().matches("arg[1-9][0-9]*")) {
            int i = Integer.parseInt(t.name().substring(3)) - 1;
            return e -> {
                long[] a = e.ctx.markArguments();
                if (i >= a.length) {
                    throw new StapRuntimeException("mark has no $arg" + (i + 1));
                }
                return a[i];
            };
        }
        if (body.point.isReturn() && !body.entryContext && kind.equals("process")) {
            throw unsupported(t.location(), "'" + t.spelling() + "' in a .return probe (use @entry)");
        }
        String name = t.name();
        return e -> e.ctx.field(name);
    }

    // ---- user functions ------------------------------------------------------------------------

    private interface FunctionCall {
        void call(Env e);
    }

    private FunctionCall userCall(Expr.Call c) {
        FunctionCode f = function(c.function(), c.location());
        List<Expr> args = c.arguments();
        int n = args.size();
        L[] longs = new L[n];
        S[] strings = new S[n];
        for (int i = 0; i < n; i++) {
            if (f.parameterIsString[i]) {
                strings[i] = str(args.get(i));
            } else {
                longs[i] = lng(args.get(i));
            }
        }
        return e -> {
            long[] nl = new long[f.longSlots];
            String[] ns = new String[f.stringSlots];
            java.util.Arrays.fill(ns, "");
            for (int i = 0; i < n; i++) {
                if (strings[i] != null) {
                    ns[f.parameterSlots[i]] = strings[i].eval(e);
                } else {
                    nl[f.parameterSlots[i]] = longs[i].eval(e);
                }
            }
            if (e.depth >= MAX_NESTING) {
                throw new StapRuntimeException("MAXNESTING exceeded");
            }
            long[] sl = e.longs;
            String[] ss = e.strings;
            e.longs = nl;
            e.strings = ns;
            e.depth++;
            e.returnLong = 0;
            e.returnString = "";
            try {
                f.code.exec(e);
            } finally {
                e.depth--;
                e.longs = sl;
                e.strings = ss;
            }
        };
    }

    private FunctionCode function(String name, SourceLocation at) {
        FunctionCode f = functions.get(name);
        if (f != null) {
            return f;
        }
        Script.Function decl = checked.script().functions().stream().filter(fn -> fn.name().equals(name))
                .findFirst().orElseThrow(() -> unsupported(at, "function '" + name + "'"));
        f = new FunctionCode();
        functions.put(name, f);
        Body saved = body;
        body = new Body(null, false, List.of());
        try {
            Map<String, VariableInfo> locals = checked.locals(decl);
            int n = decl.parameters().size();
            f.parameterSlots = new int[n];
            f.parameterIsString = new boolean[n];
            for (int i = 0; i < n; i++) {
                String p = decl.parameters().get(i).name();
                VariableInfo v = locals.get(p);
                Type t = v == null ? Type.LONG : v.type();
                f.parameterIsString[i] = t == Type.STRING;
                f.parameterSlots[i] = slot(p, t);
            }
            locals.forEach((ln, v) -> slot(ln, v.type()));
            X code = stmt(decl.body());
            f.longSlots = body.longSlots.size();
            f.stringSlots = body.stringSlots.size();
            f.code = code;
            return f;
        } finally {
            body = saved;
        }
    }
}
