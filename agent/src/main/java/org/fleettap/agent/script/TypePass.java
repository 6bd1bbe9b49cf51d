package org.fleettap.agent.script;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pass 4: stap's type inference. Consumes {@link Symbols}; fills in every slot's type (long, string, statistic) and
 * the type of every expression. Types flow both ways (from a use to a variable and back) until nothing changes;
 * then a last walk reports every conflict, naming where the other type came from, and every variable whose type
 * could not be inferred. {@code printf}/{@code sprintf} formats are checked against their arguments here.
 */
final class TypePass {

    /**
     * What a context expects of an expression: a type ({@code UNKNOWN}: any plain value) and, for messages, whose
     * type it is and where that type was determined. A {@code null} Want is a statement context: no value needed.
     */
    private record Want(Type type, String subject, SourceLocation origin) {
        static final Want ANY = new Want(Type.UNKNOWN, null, null);

        static Want of(Type type, String subject) {
            return new Want(type, subject, null);
        }

        static Want of(Symbols.Slot slot) {
            return new Want(plain(slot.type), slot.description, slot.origin);
        }
    }

    private static final int MAX_ROUNDS = 1000;

    private final Symbols symbols;
    private final List<Diagnostic> diagnostics;
    private final Map<Expr, Type> types = new IdentityHashMap<>();
    private boolean reporting;
    private boolean changed;
    private Symbols.Body body;

    private TypePass(Symbols symbols, List<Diagnostic> diagnostics) {
        this.symbols = symbols;
        this.diagnostics = diagnostics;
    }

    /** Runs the pass; returns the type of every expression. */
    static Map<Expr, Type> run(Symbols symbols, List<Diagnostic> diagnostics) {
        TypePass pass = new TypePass(symbols, diagnostics);
        int rounds = 0;
        do {
            pass.changed = false;
            pass.walkAll();
        } while (pass.changed && ++rounds < MAX_ROUNDS);
        pass.reporting = true;
        int before = diagnostics.size();
        pass.walkAll();
        if (diagnostics.size() == before) {
            pass.unresolved();
        }
        return pass.types;
    }

    private void walkAll() {
        for (Symbols.Body b : symbols.bodies) {
            body = b;
            statement(b.block());
        }
    }

    private void error(SourceLocation at, String message, String hint) {
        if (reporting) {
            Diagnostic d = Diagnostic.error(at, message, hint);
            if (!diagnostics.contains(d)) {
                diagnostics.add(d);
            }
        }
    }

    /** LONG and STRING pass through; other types are not something a plain value can be asked to be. */
    private static Type plain(Type t) {
        return t == Type.LONG || t == Type.STRING ? t : Type.UNKNOWN;
    }

    private void learn(Symbols.Slot slot, Type t, SourceLocation at) {
        if (!slot.type.known() && (t == Type.LONG || t == Type.STRING || t == Type.STATS)) {
            slot.fix(t, at);
            changed = true;
        }
    }

    // ---- statements

    private void statement(Stmt s) {
        if (s instanceof Stmt.Block b) {
            b.statements().forEach(this::statement);
        } else if (s instanceof Stmt.ExprStatement e) {
            expression(e.expression(), null);
        } else if (s instanceof Stmt.If i) {
            condition(i.condition());
            statement(i.then());
            if (i.otherwise() != null) {
                statement(i.otherwise());
            }
        } else if (s instanceof Stmt.While w) {
            condition(w.condition());
            statement(w.body());
        } else if (s instanceof Stmt.For f) {
            if (f.init() != null) {
                expression(f.init(), null);
            }
            if (f.condition() != null) {
                condition(f.condition());
            }
            if (f.step() != null) {
                expression(f.step(), null);
            }
            statement(f.body());
        } else if (s instanceof Stmt.Foreach f) {
            foreach(f);
        } else if (s instanceof Stmt.Return r) {
            if (r.value() != null && body.function != null) {
                flow(r.value(), body.function.result);
            }
        } else if (s instanceof Stmt.Delete d) {
            if (d.target() instanceof Expr.Index i) {
                Symbols.Var array = symbols.references.get(i);
                if (array != null) {
                    keys(i.keys(), array);
                }
            }
        } else if (s instanceof Stmt.Try t) {
            statement(t.body());
            if (t.errorVariable() != null) {
                Symbols.Var v = body.locals.get(t.errorVariable());
                if (v != null) {
                    learn(v.value, Type.STRING, t.handler().location());
                    if (v.value.type != Type.STRING) {
                        error(t.handler().location(), "type mismatch: the error variable '" + t.errorVariable()
                                + "' is a string, but it is " + v.value.type.spelling() + " since "
                                + v.value.origin, null);
                    }
                }
            }
            statement(t.handler());
        }
    }

    private void condition(Expr e) {
        expression(e, Want.of(Type.LONG, "a condition"));
    }

    /** An expression whose value goes into {@code slot}: types flow both ways. */
    private void flow(Expr e, Symbols.Slot slot) {
        Type t = expression(e, Want.of(slot));
        learn(slot, plain(t), e.location());
    }

    private void keys(List<Expr> keys, Symbols.Var array) {
        for (int i = 0; i < keys.size() && i < array.keys.size(); i++) {
            flow(keys.get(i), array.keys.get(i));
        }
    }

    private void foreach(Stmt.Foreach f) {
        Symbols.Var array = symbols.references.get(f);
        if (array != null) {
            for (int i = 0; i < f.keyVariables().size() && i < array.keys.size(); i++) {
                Symbols.Var v = body.locals.get(f.keyVariables().get(i));
                if (v != null) {
                    link(v.value, array.keys.get(i), f.keyLocations().get(i));
                }
            }
            if (f.valueVariable() != null) {
                Symbols.Var v = body.locals.get(f.valueVariable());
                if (array.value.type == Type.STATS) {
                    error(f.location(), "the value of statistics array '" + array.name
                            + "' can't be bound to '" + f.valueVariable() + "'",
                            "read it with @count(" + array.name + "[...]) and the other extractors");
                } else if (v != null) {
                    link(v.value, array.value, f.location());
                }
            }
            if (f.sortAggregate() != null && array.value.type.known() && array.value.type != Type.STATS) {
                error(f.arrayLocation(), "sorting on " + f.sortAggregate().spelling()
                        + " needs an array of statistics, but '" + array.name + "' holds "
                        + array.value.type.spelling() + " values", null);
            }
        }
        if (f.limit() != null) {
            expression(f.limit(), Want.of(Type.LONG, "the foreach limit"));
        }
        statement(f.body());
    }

    /** Two slots that must have the same type (a loop variable and an array key). */
    private void link(Symbols.Slot a, Symbols.Slot b, SourceLocation at) {
        learn(a, b.type, at);
        learn(b, a.type, at);
        if (a.type.known() && b.type.known() && a.type != b.type) {
            error(at, "type mismatch: " + a.description + " is " + a.type.spelling() + " (since " + a.origin
                    + ") but " + b.description + " is " + b.type.spelling() + " (since " + b.origin + ")", null);
        }
    }

    // ---- expressions

    /** Infers the type of {@code e} in a context that wants {@code want}; reports conflicts in the last walk. */
    private Type expression(Expr e, Want want) {
        Type t = infer(e, want);
        if (reporting) {
            types.put(e, t);
        }
        return t;
    }

    private Type infer(Expr e, Want want) {
        if (e instanceof Expr.IntLiteral) {
            return check(e, Type.LONG, null, want, null);
        }
        if (e instanceof Expr.StringLiteral) {
            return check(e, Type.STRING, null, want, null);
        }
        if (e instanceof Expr.ScriptArgument a) {
            return check(e, a.asString() ? Type.STRING : Type.LONG, null, want, null);
        }
        if (e instanceof Expr.Variable) {
            Symbols.Var v = symbols.references.get(e);
            return v == null ? Type.UNKNOWN : slot(e, v.value, want);
        }
        if (e instanceof Expr.Index i) {
            Symbols.Var v = symbols.references.get(e);
            if (v == null) {
                return Type.UNKNOWN;
            }
            keys(i.keys(), v);
            return slot(e, v.value, want);
        }
        if (e instanceof Expr.Call c) {
            return call(c, want);
        }
        if (e instanceof Expr.Target t) {
            String hint = want != null && want.type() == Type.STRING
                    ? "a target variable is a number or a pointer: read a string with user_string(" + t.spelling() + ")"
                    : null;
            return check(e, Type.LONG, null, want, hint);
        }
        if (e instanceof Expr.Entry en) {
            return expression(en.operand(), want == null ? Want.ANY : want);
        }
        if (e instanceof Expr.Aggregate a) {
            expression(a.operand(), Want.of(Type.STATS, "the operand of " + a.op().spelling()));
            return check(e, Type.LONG, null, want, null);
        }
        if (e instanceof Expr.Histogram h) {
            expression(h.operand(), Want.of(Type.STATS, "the operand of " + h.kind().spelling()));
            return check(e, Type.HISTOGRAM, null, want, null);
        }
        if (e instanceof Expr.Unary u) {
            expression(u.operand(), Want.of(Type.LONG, "the operand of '" + u.op().spelling() + "'"));
            return check(e, Type.LONG, null, want, null);
        }
        if (e instanceof Expr.Increment inc) {
            expression(inc.target(), Want.of(Type.LONG, "the operand of '" + (inc.increment() ? "++" : "--") + "'"));
            return check(e, Type.LONG, null, want, null);
        }
        if (e instanceof Expr.Binary b) {
            return binary(b, want);
        }
        if (e instanceof Expr.Ternary t) {
            return ternary(t, want);
        }
        if (e instanceof Expr.Membership m) {
            Symbols.Var v = symbols.references.get(e);
            if (v != null) {
                keys(m.keys(), v);
            }
            return check(e, Type.LONG, null, want, null);
        }
        if (e instanceof Expr.Assign a) {
            return assign(a, want);
        }
        Expr.Accumulate acc = (Expr.Accumulate) e;
        expression(acc.target(), Want.of(Type.STATS, "the left side of '<<<'"));
        expression(acc.value(), Want.of(Type.LONG, "the value added with '<<<'"));
        return check(e, Type.LONG, null, want, null);
    }

    /** A use of a slot (variable, array element, user function result): learns from the context, then checks. */
    private Type slot(Expr e, Symbols.Slot slot, Want want) {
        if (want != null) {
            learn(slot, want.type(), e.location());
        }
        return check(e, slot.type, slot, want, null);
    }

    /**
     * Checks that {@code found} (the type of {@code e}; {@code from} is the slot it comes from, if any) fits what
     * the context wants, and reports it if not.
     */
    private Type check(Expr e, Type found, Symbols.Slot from, Want want, String hint) {
        if (!reporting || want == null || !found.known()) {
            return found;
        }
        if (found == Type.VOID) {
            error(e.location(), "'" + ((Expr.Call) e).function() + "' gives no value", null);
        } else if (found == Type.HISTOGRAM && want.type() != Type.HISTOGRAM) {
            error(e.location(), "a histogram can only be printed", "print it with print() or println()");
        } else if (found == Type.STATS && want.type() == Type.UNKNOWN) {
            error(e.location(), from.description + " is a statistic (since " + from.origin + ")",
                    "read it with @count, @sum, @min, @max, @avg or @hist_log");
        } else if (want.type().known() && found != want.type()) {
            StringBuilder sb = new StringBuilder("type mismatch: expected ").append(want.type().spelling());
            if (want.subject() != null) {
                sb.append(" for ").append(want.subject());
            }
            if (want.origin() != null) {
                sb.append(" (since ").append(want.origin()).append(')');
            }
            sb.append(", found ").append(found.spelling());
            if (from != null) {
                sb.append(" (").append(from.description).append(" is ").append(found.spelling())
                        .append(" since ").append(from.origin).append(')');
            }
            if (hint == null && found == Type.LONG && want.type() == Type.STRING) {
                hint = "turn a number into a string with sprintf(\"%d\", ...)";
            }
            error(e.location(), sb.toString(), hint);
        }
        return found;
    }

    private Type binary(Expr.Binary b, Want want) {
        Expr.BinaryOp op = b.op();
        String operand = "an operand of '" + op.spelling() + "'";
        if (op.isComparison()) {
            Type left = expression(b.left(), Want.ANY);
            Type right = expression(b.right(), plain(left).known()
                    ? new Want(plain(left), "the right side of '" + op.spelling() + "'", b.left().location())
                    : Want.ANY);
            if (!plain(left).known() && plain(right).known()) {
                expression(b.left(), new Want(right, "the left side of '" + op.spelling() + "'",
                        b.right().location()));
            }
            return check(b, Type.LONG, null, want, null);
        }
        Type operandType = op == Expr.BinaryOp.CONCAT ? Type.STRING : Type.LONG;
        expression(b.left(), Want.of(operandType, operand));
        expression(b.right(), Want.of(operandType, operand));
        return check(b, operandType, null, want, null);
    }

    private Type ternary(Expr.Ternary t, Want want) {
        condition(t.condition());
        Want branch = want == null ? Want.ANY : want;
        Type then = expression(t.then(), branch);
        Type otherwise = expression(t.otherwise(), plain(then).known()
                ? new Want(plain(then), "the other branch of '?:'", t.then().location()) : branch);
        if (!plain(then).known() && plain(otherwise).known()) {
            then = expression(t.then(), new Want(otherwise, "the other branch of '?:'", t.otherwise().location()));
        }
        return plain(then).known() ? then : otherwise;
    }

    private Type assign(Expr.Assign a, Want want) {
        Type result;
        if (a.op() == Expr.AssignOp.ASSIGN) {
            Symbols.Slot target = targetSlot(a.target());
            Type value = expression(a.value(), target != null && plain(target.type).known()
                    ? Want.of(target) : Want.ANY);
            boolean reported = target != null && plain(target.type).known();
            result = expression(a.target(), plain(value).known() && !reported
                    ? new Want(value, "the assigned value", a.value().location()) : Want.ANY);
            if (!plain(result).known()) {
                result = value;
            }
        } else {
            Type operandType = a.op() == Expr.AssignOp.CONCAT ? Type.STRING : Type.LONG;
            String subject = "an operand of '" + a.op().spelling() + "'";
            expression(a.target(), Want.of(operandType, subject));
            expression(a.value(), Want.of(operandType, subject));
            result = operandType;
        }
        return check(a, result, null, want, null);
    }

    private Symbols.Slot targetSlot(Expr target) {
        Symbols.Var v = symbols.references.get(target);
        return v == null ? null : v.value;
    }

    // ---- calls

    private Type call(Expr.Call c, Want want) {
        Symbols.Fn fn = symbols.calls.get(c);
        if (fn != null) {
            for (int i = 0; i < c.arguments().size() && i < fn.parameters.size(); i++) {
                flow(c.arguments().get(i), fn.parameters.get(i).value);
            }
            if (!fn.returnsValue && !fn.result.type.known()) {
                return check(c, Type.VOID, null, want, null);
            }
            return slot(c, fn.result, want);
        }
        Signature builtin = Builtins.lookup(c.function());
        if (builtin == null) {
            c.arguments().forEach(arg -> expression(arg, Want.ANY));
            return Type.UNKNOWN;
        }
        switch (c.function()) {
            case "printf", "sprintf" -> format(c);
            case "print", "println" -> c.arguments().forEach(arg -> expression(arg,
                    arg instanceof Expr.Histogram ? Want.of(Type.HISTOGRAM, null) : Want.ANY));
            default -> {
                for (int i = 0; i < c.arguments().size(); i++) {
                    Type p = i < builtin.parameters().size() ? builtin.parameters().get(i) : Type.UNKNOWN;
                    expression(c.arguments().get(i), Want.of(p, "argument " + (i + 1) + " of " + c.function() + "()"));
                }
            }
        }
        return check(c, builtin.returnType(), null, want, null);
    }

    private void format(Expr.Call c) {
        if (c.arguments().isEmpty()) {
            return;
        }
        Expr first = c.arguments().get(0);
        if (!(first instanceof Expr.StringLiteral literal)) {
            error(first.location(), "the format of " + c.function() + "() must be a string literal", null);
            c.arguments().forEach(arg -> expression(arg, Want.ANY));
            return;
        }
        expression(first, Want.of(Type.STRING, "the format"));
        FormatString format;
        try {
            format = FormatString.parse(literal.value());
        } catch (FormatString.FormatException ex) {
            error(first.location(), ex.getMessage(), FormatString.SUPPORTED);
            c.arguments().stream().skip(1).forEach(arg -> expression(arg, Want.ANY));
            return;
        }
        List<Expr> args = c.arguments().subList(1, c.arguments().size());
        if (args.size() != format.argumentCount()) {
            error(c.location(), "the format of " + c.function() + "() needs " + format.argumentCount()
                    + (format.argumentCount() == 1 ? " argument" : " arguments") + ", found " + args.size(), null);
        }
        int index = 0;
        for (FormatString.Directive d : format.directives()) {
            for (Type t : d.arguments()) {
                if (index < args.size()) {
                    expression(args.get(index++), new Want(t, "'" + d.spelling() + "' in the format",
                            first.location()));
                }
            }
        }
        while (index < args.size()) {
            expression(args.get(index++), Want.ANY);
        }
    }

    // ---- what could not be inferred

    private void unresolved() {
        for (Symbols.Var v : symbols.globals.values()) {
            if (!v.used()) {
                diagnostics.add(Diagnostic.warning(v.location, "global '" + v.name + "' is never used"));
            } else {
                unresolved(v);
            }
        }
        for (Symbols.Body b : symbols.bodies) {
            for (Symbols.Var v : b.locals.values()) {
                if (v.used()) {
                    unresolved(v);
                }
            }
        }
        for (Symbols.Fn fn : symbols.functions.values()) {
            if (fn.returnsValue && !fn.result.type.known()) {
                error(fn.declaration.location(), "can't infer the return type of '" + fn.declaration.name() + "'",
                        "annotate it, e.g. function " + fn.declaration.name() + ":long(...)");
            }
        }
    }

    private void unresolved(Symbols.Var v) {
        if (!v.value.type.known()) {
            error(v.location, "can't infer the type of '" + v.name + "'",
                    "assign it a number or a string, or add to it with '<<<'");
        }
        for (Symbols.Slot key : v.keys) {
            if (!key.type.known()) {
                error(v.location, "can't infer the type of " + key.description, "index it with a number or a string");
            }
        }
    }
}
