package org.fleettap.agent.script;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pass 3: declarations and name resolution. Consumes the syntax tree; produces {@link Symbols} with every global,
 * function, parameter and local, each name use resolved, arrays' arity fixed, and type annotations and global
 * initialisers recorded. Checks where constructs may appear: {@code next} in probes, {@code break}/{@code continue}
 * in loops, {@code return} in functions, {@code @entry} and {@code $return} in {@code .return} probes, target
 * variables in probes that have them.
 */
final class SymbolPass {

    private final Script script;
    private final Symbols symbols = new Symbols();
    private final List<Diagnostic> diagnostics;

    private Symbols.Body body;
    private int loops;
    private int entries;

    private SymbolPass(Script script, List<Diagnostic> diagnostics) {
        this.script = script;
        this.diagnostics = diagnostics;
    }

    static Symbols run(Script script, List<Diagnostic> diagnostics) {
        SymbolPass pass = new SymbolPass(script, diagnostics);
        pass.declare();
        pass.resolve();
        return pass.symbols;
    }

    private void error(SourceLocation at, String message, String hint) {
        diagnostics.add(Diagnostic.error(at, message, hint));
    }

    // ---- declarations

    private void declare() {
        for (Script.Global g : script.globals()) {
            Symbols.Var existing = symbols.globals.get(g.name());
            if (existing != null) {
                error(g.location(), "global '" + g.name() + "' is already declared at " + existing.location, null);
                continue;
            }
            Symbols.Var v = new Symbols.Var(g.name(), VariableInfo.Scope.GLOBAL, g.location());
            v.declaredArray = g.declaredArray();
            v.size = g.size();
            if (g.initialiser() != null) {
                v.value.fix(g.initialiser() instanceof Expr.StringLiteral ? Type.STRING : Type.LONG,
                        g.initialiser().location());
                v.arity = 0;
                v.arityOrigin = g.location();
                v.written = true;
            }
            symbols.globals.put(g.name(), v);
        }
        for (Script.Function f : script.functions()) {
            if (Builtins.lookup(f.name()) != null) {
                error(f.location(), "function '" + f.name() + "' is a builtin and can't be redefined",
                        "choose another name");
                continue;
            }
            Symbols.Fn existing = symbols.functions.get(f.name());
            if (existing != null) {
                error(f.location(), "function '" + f.name() + "' is already defined at "
                        + existing.declaration.location(), null);
                continue;
            }
            Symbols.Fn fn = new Symbols.Fn(f);
            if (f.returnType().known()) {
                fn.result.fix(f.returnType(), f.location());
            }
            Symbols.Body b = new Symbols.Body(null, fn);
            for (Script.Parameter p : f.parameters()) {
                if (b.locals.containsKey(p.name())) {
                    error(p.location(), "parameter '" + p.name() + "' is declared twice", null);
                    continue;
                }
                Symbols.Var v = new Symbols.Var(p.name(), VariableInfo.Scope.PARAMETER, p.location());
                v.arity = 0;
                v.arityOrigin = p.location();
                v.written = true;
                if (p.type().known()) {
                    v.value.fix(p.type(), p.location());
                }
                fn.parameters.add(v);
                b.locals.put(p.name(), v);
            }
            symbols.functions.put(f.name(), fn);
            symbols.bodies.add(b);
        }
        for (Script.Probe p : script.probes()) {
            symbols.bodies.add(new Symbols.Body(p, null));
        }
    }

    // ---- resolution

    private void resolve() {
        for (Symbols.Body b : symbols.bodies) {
            body = b;
            loops = 0;
            entries = 0;
            declareLocals(b.block());
            statement(b.block());
        }
    }

    /** Locals are the names a body assigns (or loops over) that are not parameters or globals, as in stap. */
    private void declareLocals(Stmt.Block block) {
        Map<String, SourceLocation> written = new LinkedHashMap<>();
        assignedIn(block, written);
        written.forEach((name, at) -> {
            if (!body.locals.containsKey(name) && !symbols.globals.containsKey(name)) {
                Symbols.Var v = new Symbols.Var(name, VariableInfo.Scope.LOCAL, at);
                v.arity = 0;
                v.arityOrigin = at;
                body.locals.put(name, v);
            }
        });
    }

    /** Collects, in source order, the scalar names that statements assign, increment or bind. */
    private static void assignedIn(Stmt s, Map<String, SourceLocation> into) {
        if (s instanceof Stmt.Block b) {
            b.statements().forEach(x -> assignedIn(x, into));
        } else if (s instanceof Stmt.ExprStatement e) {
            assignedIn(e.expression(), into);
        } else if (s instanceof Stmt.If i) {
            assignedIn(i.condition(), into);
            assignedIn(i.then(), into);
            if (i.otherwise() != null) {
                assignedIn(i.otherwise(), into);
            }
        } else if (s instanceof Stmt.While w) {
            assignedIn(w.condition(), into);
            assignedIn(w.body(), into);
        } else if (s instanceof Stmt.For f) {
            assignedIn(f.init(), into);
            assignedIn(f.condition(), into);
            assignedIn(f.step(), into);
            assignedIn(f.body(), into);
        } else if (s instanceof Stmt.Foreach f) {
            if (f.valueVariable() != null) {
                into.putIfAbsent(f.valueVariable(), f.location());
            }
            for (int i = 0; i < f.keyVariables().size(); i++) {
                into.putIfAbsent(f.keyVariables().get(i), f.keyLocations().get(i));
            }
            assignedIn(f.limit(), into);
            assignedIn(f.body(), into);
        } else if (s instanceof Stmt.Return r) {
            assignedIn(r.value(), into);
        } else if (s instanceof Stmt.Try t) {
            assignedIn(t.body(), into);
            if (t.errorVariable() != null) {
                into.putIfAbsent(t.errorVariable(), t.handler().location());
            }
            assignedIn(t.handler(), into);
        }
    }

    private static void assignedIn(Expr e, Map<String, SourceLocation> into) {
        if (e == null) {
            return;
        }
        if (e instanceof Expr.Assign a) {
            assignedIn(a.value(), into);
            if (a.target() instanceof Expr.Variable v) {
                into.putIfAbsent(v.name(), v.location());
            }
            assignedIn(a.target(), into);
        } else if (e instanceof Expr.Increment inc && inc.target() instanceof Expr.Variable v) {
            into.putIfAbsent(v.name(), v.location());
        } else if (e instanceof Expr.Accumulate a && a.target() instanceof Expr.Variable v) {
            assignedIn(a.value(), into);
            into.putIfAbsent(v.name(), v.location());
        } else {
            forEachChild(e, c -> assignedIn(c, into));
        }
    }

    /** Calls {@code action} on each direct sub-expression of {@code e}. */
    static void forEachChild(Expr e, java.util.function.Consumer<Expr> action) {
        if (e instanceof Expr.Index i) {
            i.keys().forEach(action);
        } else if (e instanceof Expr.Call c) {
            c.arguments().forEach(action);
        } else if (e instanceof Expr.Entry en) {
            action.accept(en.operand());
        } else if (e instanceof Expr.Aggregate a) {
            action.accept(a.operand());
        } else if (e instanceof Expr.Histogram h) {
            action.accept(h.operand());
        } else if (e instanceof Expr.Unary u) {
            action.accept(u.operand());
        } else if (e instanceof Expr.Increment inc) {
            action.accept(inc.target());
        } else if (e instanceof Expr.Binary b) {
            action.accept(b.left());
            action.accept(b.right());
        } else if (e instanceof Expr.Ternary t) {
            action.accept(t.condition());
            action.accept(t.then());
            action.accept(t.otherwise());
        } else if (e instanceof Expr.Membership m) {
            m.keys().forEach(action);
        } else if (e instanceof Expr.Assign a) {
            action.accept(a.target());
            action.accept(a.value());
        } else if (e instanceof Expr.Accumulate a) {
            action.accept(a.target());
            action.accept(a.value());
        }
    }

    private Symbols.Var lookup(String name) {
        Symbols.Var v = body.locals.get(name);
        if (v != null && v.scope == VariableInfo.Scope.PARAMETER) {
            return v;
        }
        Symbols.Var g = symbols.globals.get(name);
        return g != null ? g : v;
    }

    private Set<String> visibleNames() {
        Set<String> names = new LinkedHashSet<>(body.locals.keySet());
        names.addAll(symbols.globals.keySet());
        return names;
    }

    private void statement(Stmt s) {
        if (s instanceof Stmt.Block b) {
            b.statements().forEach(this::statement);
        } else if (s instanceof Stmt.ExprStatement e) {
            expression(e.expression());
        } else if (s instanceof Stmt.If i) {
            expression(i.condition());
            statement(i.then());
            if (i.otherwise() != null) {
                statement(i.otherwise());
            }
        } else if (s instanceof Stmt.While w) {
            expression(w.condition());
            loop(w.body());
        } else if (s instanceof Stmt.For f) {
            optional(f.init());
            optional(f.condition());
            optional(f.step());
            loop(f.body());
        } else if (s instanceof Stmt.Foreach f) {
            foreach(f);
        } else if (s instanceof Stmt.Next n) {
            if (body.probe == null) {
                error(n.location(), "'next' can only be used in a probe handler", "use 'return' to leave a function");
            }
        } else if (s instanceof Stmt.Break b) {
            if (loops == 0) {
                error(b.location(), "'break' can only be used in a loop", null);
            }
        } else if (s instanceof Stmt.Continue c) {
            if (loops == 0) {
                error(c.location(), "'continue' can only be used in a loop", null);
            }
        } else if (s instanceof Stmt.Return r) {
            if (body.function == null) {
                error(r.location(), "'return' can only be used in a function", "use 'next' to leave a probe handler");
            } else if (r.value() != null) {
                body.function.returnsValue = true;
            }
            optional(r.value());
        } else if (s instanceof Stmt.Delete d) {
            delete(d);
        } else if (s instanceof Stmt.Try t) {
            statement(t.body());
            if (t.errorVariable() != null) {
                Symbols.Var v = lookup(t.errorVariable());
                if (v != null && v.scope != VariableInfo.Scope.LOCAL) {
                    error(t.handler().location(), "the error variable '" + t.errorVariable() + "' must be a local",
                            "choose another name");
                } else if (v != null) {
                    v.written = true;
                }
            }
            statement(t.handler());
        }
    }

    private void loop(Stmt s) {
        loops++;
        statement(s);
        loops--;
    }

    private void optional(Expr e) {
        if (e != null) {
            expression(e);
        }
    }

    private void foreach(Stmt.Foreach f) {
        Symbols.Var array = array(f.array(), f.arrayLocation(), f.keyVariables().size(), f);
        if (array != null) {
            array.read = true;
            if (f.sortAggregate() != null && array.value.type.known() && array.value.type != Type.STATS) {
                error(f.arrayLocation(), "sorting on " + f.sortAggregate().spelling()
                        + " needs an array of statistics", null);
            }
        }
        List<String> names = new ArrayList<>(f.keyVariables());
        if (f.valueVariable() != null) {
            names.add(f.valueVariable());
        }
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            SourceLocation at = i < f.keyLocations().size() ? f.keyLocations().get(i) : f.location();
            if (!seen.add(name)) {
                error(at, "loop variable '" + name + "' is used twice", null);
            }
            Symbols.Var v = lookup(name);
            if (v != null && v.scope != VariableInfo.Scope.LOCAL) {
                error(at, "loop variable '" + name + "' must be a local, but it names a "
                        + (v.scope == VariableInfo.Scope.GLOBAL ? "global" : "parameter"), "choose another name");
            } else if (v != null) {
                v.written = true;
            }
        }
        optional(f.limit());
        loop(f.body());
    }

    private void delete(Stmt.Delete d) {
        if (d.target() instanceof Expr.Variable v) {
            Symbols.Var var = lookup(v.name());
            if (var == null) {
                unknownVariable(v.name(), v.location());
                return;
            }
            symbols.references.put(v, var);
            var.written = true;
        } else {
            Expr.Index index = (Expr.Index) d.target();
            Symbols.Var var = array(index.array(), index.location(), index.keys().size(), index);
            if (var != null) {
                var.written = true;
            }
            index.keys().forEach(this::expression);
        }
    }

    private void expression(Expr e) {
        if (e instanceof Expr.ScriptArgument a) {
            if (a.index() < 1) {
                error(a.location(), "script arguments are numbered from 1", null);
            }
        } else if (e instanceof Expr.Variable v) {
            variable(v, false);
        } else if (e instanceof Expr.Index i) {
            Symbols.Var var = array(i.array(), i.location(), i.keys().size(), i);
            if (var != null) {
                var.read = true;
            }
            i.keys().forEach(this::expression);
        } else if (e instanceof Expr.Call c) {
            call(c);
        } else if (e instanceof Expr.Target t) {
            target(t);
        } else if (e instanceof Expr.Entry en) {
            if (!inReturnProbe()) {
                error(en.location(), "@entry can only be used in a .return probe",
                        "every probe point of the handler must end in .return");
            }
            if (entries > 0) {
                error(en.location(), "@entry can't be nested", null);
            }
            entries++;
            expression(en.operand());
            entries--;
        } else if (e instanceof Expr.Aggregate a) {
            statistic(a.operand(), false);
        } else if (e instanceof Expr.Histogram h) {
            statistic(h.operand(), false);
        } else if (e instanceof Expr.Increment inc) {
            written(inc.target());
            markRead(inc.target());
        } else if (e instanceof Expr.Membership m) {
            Symbols.Var var = array(m.array(), m.location(), m.keys().size(), m);
            if (var != null) {
                var.read = true;
            }
            m.keys().forEach(this::expression);
        } else if (e instanceof Expr.Assign a) {
            expression(a.value());
            written(a.target());
            if (a.op() != Expr.AssignOp.ASSIGN) {
                markRead(a.target());
            }
        } else if (e instanceof Expr.Accumulate a) {
            expression(a.value());
            statistic(a.target(), true);
        } else {
            forEachChild(e, this::expression);
        }
    }

    private void markRead(Expr target) {
        Symbols.Var v = symbols.references.get(target);
        if (v != null) {
            v.read = true;
        }
    }

    private boolean inReturnProbe() {
        return body.probe != null && body.probe.points().stream().allMatch(Script.Point::isReturn);
    }

    private void variable(Expr.Variable v, boolean write) {
        Symbols.Var var = lookup(v.name());
        if (var == null) {
            unknownVariable(v.name(), v.location());
            return;
        }
        symbols.references.put(v, var);
        arity(var, 0, v.location());
        if (write) {
            var.written = true;
        } else {
            var.read = true;
        }
    }

    private void unknownVariable(String name, SourceLocation at) {
        String hint = Suggestions.didYouMean(name, visibleNames());
        if (hint == null && Builtins.lookup(name) != null) {
            hint = "'" + name + "' is a function: write " + name + "()";
        }
        if (hint == null) {
            hint = "assign it first, or declare it with 'global " + name + "'";
        }
        error(at, "unknown variable '" + name + "'", hint);
    }

    private void written(Expr target) {
        if (target instanceof Expr.Variable v) {
            variable(v, true);
        } else if (target instanceof Expr.Index i) {
            Symbols.Var var = array(i.array(), i.location(), i.keys().size(), i);
            if (var != null) {
                var.written = true;
            }
            i.keys().forEach(this::expression);
        }
    }

    /** The operand of {@code <<<} or of an extractor: a global or a global array element. */
    private void statistic(Expr operand, boolean write) {
        if (operand instanceof Expr.Variable v) {
            Symbols.Var var = lookup(v.name());
            if (var != null && var.scope != VariableInfo.Scope.GLOBAL) {
                error(v.location(), "statistic '" + v.name() + "' must be a global variable",
                        "declare it with 'global " + v.name() + "'");
                return;
            }
            variable(v, write);
        } else if (operand instanceof Expr.Index i) {
            Symbols.Var var = array(i.array(), i.location(), i.keys().size(), i);
            if (var != null) {
                if (write) {
                    var.written = true;
                } else {
                    var.read = true;
                }
            }
            i.keys().forEach(this::expression);
        }
    }

    /** Resolves an array use with {@code keys} keys; arrays are always globals. */
    private Symbols.Var array(String name, SourceLocation at, int keys, Object node) {
        Symbols.Var g = symbols.globals.get(name);
        Symbols.Var local = body.locals.get(name);
        if (local != null && (local.scope == VariableInfo.Scope.PARAMETER || g == null)) {
            error(at, "'" + name + "' is a local variable, not an array",
                    "arrays must be declared at the top level with 'global " + name + "'");
            return null;
        }
        if (g == null) {
            List<String> arrays = symbols.globals.values().stream()
                    .filter(v -> v.arity != 0).map(v -> v.name).toList();
            String hint = Suggestions.didYouMean(name, arrays);
            error(at, "unknown array '" + name + "'",
                    hint != null ? hint : "declare it at the top level with 'global " + name + "'");
            return null;
        }
        symbols.references.put(node, g);
        arity(g, keys, at);
        return g;
    }

    private void arity(Symbols.Var var, int keys, SourceLocation at) {
        if (var.arity < 0) {
            if (keys == 0 && var.declaredArray) {
                error(at, "'" + var.name + "' is declared as an array at " + var.location
                        + " but used as a scalar here",
                        "index it, e.g. " + var.name + "[key]");
                return;
            }
            var.arity = keys;
            var.arityOrigin = at;
            for (int i = 0; i < keys; i++) {
                var.keys.add(new Symbols.Slot("key " + (i + 1) + " of '" + var.name + "'"));
            }
        } else if (var.arity != keys) {
            error(at, "'" + var.name + "' is used " + shape(keys) + " here but " + shape(var.arity) + " at "
                    + var.arityOrigin, null);
        }
    }

    private static String shape(int keys) {
        return keys == 0 ? "as a scalar" : "as an array with " + keys + (keys == 1 ? " key" : " keys");
    }

    private void call(Expr.Call c) {
        c.arguments().forEach(this::expression);
        Symbols.Fn fn = symbols.functions.get(c.function());
        if (fn != null) {
            symbols.calls.put(c, fn);
            int expected = fn.parameters.size();
            if (c.arguments().size() != expected) {
                error(c.location(), "'" + c.function() + "' takes " + count(expected) + ", found "
                        + c.arguments().size(), "'" + c.function() + "' is defined at "
                        + fn.declaration.location());
            }
            return;
        }
        Signature builtin = Builtins.lookup(c.function());
        if (builtin == null) {
            Set<String> names = new LinkedHashSet<>(symbols.functions.keySet());
            names.addAll(Builtins.all().keySet());
            error(c.location(), "unknown function '" + c.function() + "'",
                    Suggestions.didYouMean(c.function(), names));
            return;
        }
        int fixed = builtin.parameters().size();
        int found = c.arguments().size();
        if (builtin.variadic() ? found < fixed : found != fixed) {
            error(c.location(), "'" + c.function() + "' takes " + (builtin.variadic() ? "at least " : "")
                    + count(fixed) + ", found " + found, builtin.describe());
        }
    }

    private static String count(int n) {
        return n == 1 ? "1 argument" : n + " arguments";
    }

    private void target(Expr.Target t) {
        if (body.probe == null) {
            error(t.location(), "target variable '" + t.spelling() + "' can only be used in a probe handler",
                    "pass its value to the function as an argument");
            return;
        }
        for (Script.Point p : body.probe.points()) {
            String first = p.point().first().name();
            if (first.equals("begin") || first.equals("end") || first.equals("error") || first.equals("never")
                    || first.equals("timer")) {
                error(t.location(), "target variable '" + t.spelling() + "' is not available in probe '" + p.point()
                        + "'", null);
                return;
            }
        }
        if (t.isReturn() && !inReturnProbe()) {
            error(t.location(), "'$return' can only be used in a .return probe",
                    "every probe point of the handler must end in .return");
        }
    }
}
