package org.fleettap.agent.script;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A script that passed every check: the syntax tree with its symbol and type tables, for the compiler to walk.
 * Lookups by node use node identity, so they answer for the nodes of {@link #script()} only.
 */
public final class CheckedScript {

    private final Script script;
    private final Map<String, VariableInfo> globals;
    private final Map<String, Signature> functions;
    private final Map<Object, Map<String, VariableInfo>> locals;
    private final Map<Expr, Type> types;
    private final Map<Object, VariableInfo> references;
    private final Map<Expr.Call, Signature> callees;

    CheckedScript(Script script, Symbols symbols, Map<Expr, Type> types) {
        this.script = script;
        Map<String, VariableInfo> g = new LinkedHashMap<>();
        symbols.globals.forEach((name, v) -> g.put(name, v.info()));
        this.globals = Collections.unmodifiableMap(g);
        Map<String, Signature> f = new LinkedHashMap<>();
        symbols.functions.forEach((name, fn) -> f.put(name, fn.signature()));
        this.functions = Collections.unmodifiableMap(f);
        Map<Object, Map<String, VariableInfo>> l = new IdentityHashMap<>();
        Map<Symbols.Var, VariableInfo> infos = new IdentityHashMap<>();
        for (Symbols.Body b : symbols.bodies) {
            Map<String, VariableInfo> vars = new LinkedHashMap<>();
            b.locals.forEach((name, v) -> {
                VariableInfo info = v.info();
                infos.put(v, info);
                vars.put(name, info);
            });
            l.put(b.probe != null ? b.probe : b.function.declaration, Collections.unmodifiableMap(vars));
        }
        this.locals = l;
        symbols.globals.forEach((name, v) -> infos.put(v, globals.get(name)));
        Map<Object, VariableInfo> refs = new IdentityHashMap<>();
        symbols.references.forEach((node, v) -> refs.put(node, infos.get(v)));
        this.references = refs;
        Map<Expr.Call, Signature> c = new IdentityHashMap<>();
        symbols.calls.forEach((call, fn) -> c.put(call, functions.get(fn.declaration.name())));
        this.callees = c;
        this.types = new IdentityHashMap<>(types);
    }

    public Script script() {
        return script;
    }

    /** Every global, in declaration order, with its inferred types. */
    public Map<String, VariableInfo> globals() {
        return globals;
    }

    /** Every user function's signature as inferred, by name. */
    public Map<String, Signature> functions() {
        return functions;
    }

    /** The locals of a probe handler, in order of first assignment. */
    public Map<String, VariableInfo> locals(Script.Probe probe) {
        return locals.getOrDefault(probe, Map.of());
    }

    /** The parameters and locals of a function. */
    public Map<String, VariableInfo> locals(Script.Function function) {
        return locals.getOrDefault(function, Map.of());
    }

    /** The inferred type of an expression of this script. */
    public Type typeOf(Expr expression) {
        return types.getOrDefault(expression, Type.UNKNOWN);
    }

    /** The variable a Variable, Index or Membership node (or a Foreach's array) refers to. */
    public Optional<VariableInfo> variable(Object node) {
        return Optional.ofNullable(references.get(node));
    }

    /** The function a call refers to: a user function's inferred signature, or a builtin's. */
    public Signature callee(Expr.Call call) {
        Signature user = callees.get(call);
        return user != null ? user : Builtins.lookup(call.function());
    }
}
