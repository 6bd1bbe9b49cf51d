package org.fleettap.agent.script;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The symbol tables built by {@link SymbolPass} and completed by {@link TypePass}: mutable while checking, turned
 * into immutable {@link CheckedScript} tables at the end.
 */
final class Symbols {

    /** A place that holds a type: a variable's value, an array key, a function's return value. */
    static final class Slot {
        final String description;
        Type type = Type.UNKNOWN;
        SourceLocation origin;

        Slot(String description) {
            this.description = description;
        }

        void fix(Type t, SourceLocation at) {
            type = t;
            origin = at;
        }
    }

    static final class Var {
        final String name;
        final VariableInfo.Scope scope;
        final SourceLocation location;
        final Slot value;
        final List<Slot> keys = new ArrayList<>();
        /** -1 while unknown, 0 for a scalar, n for an array with n keys. */
        int arity = -1;
        SourceLocation arityOrigin;
        boolean declaredArray;
        Long size;
        boolean read;
        boolean written;

        Var(String name, VariableInfo.Scope scope, SourceLocation location) {
            this.name = name;
            this.scope = scope;
            this.location = location;
            this.value = new Slot("'" + name + "'");
        }

        boolean used() {
            return read || written;
        }

        VariableInfo info() {
            List<Type> keyTypes = keys.stream().map(k -> k.type).toList();
            return new VariableInfo(name, scope, value.type, arity > 0 || declaredArray, keyTypes, size, location,
                    read, written);
        }
    }

    static final class Fn {
        final Script.Function declaration;
        final List<Var> parameters = new ArrayList<>();
        final Slot result;
        boolean returnsValue;

        Fn(Script.Function declaration) {
            this.declaration = declaration;
            this.result = new Slot("the return value of '" + declaration.name() + "'");
        }

        Signature signature() {
            Type ret = result.type.known() ? result.type : (returnsValue ? Type.UNKNOWN : Type.VOID);
            return new Signature(declaration.name(), parameters.stream().map(p -> p.value.type).toList(), ret,
                    false, false, declaration.location());
        }
    }

    /** A probe handler's or a function's body with its locals (and parameters for a function). */
    static final class Body {
        final Script.Probe probe;
        final Fn function;
        final Map<String, Var> locals = new LinkedHashMap<>();

        Body(Script.Probe probe, Fn function) {
            this.probe = probe;
            this.function = function;
        }

        Stmt.Block block() {
            return probe != null ? probe.body() : function.declaration.body();
        }
    }

    final Map<String, Var> globals = new LinkedHashMap<>();
    final Map<String, Fn> functions = new LinkedHashMap<>();
    final List<Body> bodies = new ArrayList<>();
    /** The variable each Variable, Index and Membership node refers to, and each foreach's array. */
    final Map<Object, Var> references = new IdentityHashMap<>();
    /** The user function each call refers to (builtins are looked up by name). */
    final Map<Expr.Call, Fn> calls = new IdentityHashMap<>();
}
