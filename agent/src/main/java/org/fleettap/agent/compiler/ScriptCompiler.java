package org.fleettap.agent.compiler;

import static org.fleettap.agent.compiler.Unsupported.unsupported;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.runtime.HistogramSpec;
import org.fleettap.agent.runtime.MapDecl;
import org.fleettap.agent.runtime.Stat;
import org.fleettap.agent.runtime.StapMap;
import org.fleettap.agent.runtime.StapType;
import org.fleettap.agent.script.CheckedScript;
import org.fleettap.agent.script.Expr;
import org.fleettap.agent.script.Script;
import org.fleettap.agent.script.Type;
import org.fleettap.agent.script.VariableInfo;
import org.fleettap.agent.session.Plan;

/**
 * Compiles a checked script to closures: every variable is resolved to a slot (global or frame) at compile time,
 * every operator to a small lambda, every probe point to probe sites with one handler each. Constructs not
 * implemented yet are compile errors ("... is not supported yet") at their source location.
 *
 * <p>This class lays out the globals; {@link ProbeAssembler} builds the plan, with {@link Statements},
 * {@link Expressions}, {@link BuiltinCalls}, {@link TargetVariables} and {@link UserFunctions} compiling the
 * handlers, all sharing one {@link Unit}.
 */
public final class ScriptCompiler {
    private final CheckedScript checked;
    private final ProbeResolver resolver;
    private final List<String> arguments;
    private final Map<String, Integer> globalIndex = new HashMap<>();
    private final List<CompiledScript.GlobalSlot> globalSlots = new ArrayList<>();

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

    private CompiledScript run(PrintStream out) throws CompileException {
        try {
            return build(out);
        } catch (Unsupported u) {
            throw CompileException.at(u.location, u.getMessage());
        }
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
        ScriptState state = new ScriptState(longs, strings, stats.toArray(new Stat[0]), maps.toArray(new StapMap[0]),
                out);
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
        Unit unit = new Unit(checked, resolver, arguments, state, globalIndex);
        Plan plan = new ProbeAssembler(unit).probes(script);
        return new CompiledScript(plan, state, globalSlots);
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
}
