package org.fleettap.agent.script;

import java.util.stream.Collectors;

/** Test helper: expressions as fully parenthesised text, to see precedence and associativity. */
final class AstText {

    private AstText() {
    }

    static String of(Expr e) {
        if (e instanceof Expr.IntLiteral l) {
            return Long.toString(l.value());
        } else if (e instanceof Expr.StringLiteral s) {
            return "\"" + s.value() + "\"";
        } else if (e instanceof Expr.ScriptArgument a) {
            return (a.asString() ? "@" : "$") + a.index();
        } else if (e instanceof Expr.Variable v) {
            return v.name();
        } else if (e instanceof Expr.Index i) {
            return i.array() + "[" + i.keys().stream().map(AstText::of).collect(Collectors.joining(",")) + "]";
        } else if (e instanceof Expr.Call c) {
            return c.function() + "(" + c.arguments().stream().map(AstText::of).collect(Collectors.joining(","))
                    + ")";
        } else if (e instanceof Expr.Target t) {
            return t.spelling();
        } else if (e instanceof Expr.Entry en) {
            return "@entry(" + of(en.operand()) + ")";
        } else if (e instanceof Expr.Aggregate a) {
            return a.op().spelling() + "(" + of(a.operand()) + ")";
        } else if (e instanceof Expr.Histogram h) {
            return h.kind().spelling() + "(" + of(h.operand()) + h.parameters().stream().map(p -> "," + p)
                    .collect(Collectors.joining()) + ")";
        } else if (e instanceof Expr.Unary u) {
            return "(" + u.op().spelling() + of(u.operand()) + ")";
        } else if (e instanceof Expr.Increment i) {
            String op = i.increment() ? "++" : "--";
            return "(" + (i.prefix() ? op + of(i.target()) : of(i.target()) + op) + ")";
        } else if (e instanceof Expr.Binary b) {
            return "(" + of(b.left()) + " " + b.op().spelling() + " " + of(b.right()) + ")";
        } else if (e instanceof Expr.Ternary t) {
            return "(" + of(t.condition()) + " ? " + of(t.then()) + " : " + of(t.otherwise()) + ")";
        } else if (e instanceof Expr.Membership m) {
            return "([" + m.keys().stream().map(AstText::of).collect(Collectors.joining(",")) + "] in " + m.array()
                    + ")";
        } else if (e instanceof Expr.Assign a) {
            return "(" + of(a.target()) + " " + a.op().spelling() + " " + of(a.value()) + ")";
        }
        Expr.Accumulate a = (Expr.Accumulate) e;
        return "(" + of(a.target()) + " <<< " + of(a.value()) + ")";
    }
}
