package org.fleettap.agent.compiler;

import java.util.function.Consumer;
import org.fleettap.agent.script.Expr;
import org.fleettap.agent.script.Stmt;

/** Visits every expression under a statement or an expression, parents before children. */
final class Walk {
    private Walk() {
    }

    static void stmt(Stmt s, Consumer<Expr> visit) {
        if (s instanceof Stmt.Block b) {
            b.statements().forEach(x -> stmt(x, visit));
        } else if (s instanceof Stmt.ExprStatement e) {
            expr(e.expression(), visit);
        } else if (s instanceof Stmt.If i) {
            expr(i.condition(), visit);
            stmt(i.then(), visit);
            stmt(i.otherwise(), visit);
        } else if (s instanceof Stmt.While w) {
            expr(w.condition(), visit);
            stmt(w.body(), visit);
        } else if (s instanceof Stmt.For f) {
            expr(f.init(), visit);
            expr(f.condition(), visit);
            expr(f.step(), visit);
            stmt(f.body(), visit);
        } else if (s instanceof Stmt.Foreach f) {
            expr(f.limit(), visit);
            stmt(f.body(), visit);
        } else if (s instanceof Stmt.Return r) {
            expr(r.value(), visit);
        } else if (s instanceof Stmt.Delete d) {
            expr(d.target(), visit);
        } else if (s instanceof Stmt.Try t) {
            stmt(t.body(), visit);
            stmt(t.handler(), visit);
        }
    }

    static void expr(Expr x, Consumer<Expr> visit) {
        if (x == null) {
            return;
        }
        visit.accept(x);
        if (x instanceof Expr.Index i) {
            i.keys().forEach(k -> expr(k, visit));
        } else if (x instanceof Expr.Call c) {
            c.arguments().forEach(a -> expr(a, visit));
        } else if (x instanceof Expr.Entry e) {
            expr(e.operand(), visit);
        } else if (x instanceof Expr.Aggregate a) {
            expr(a.operand(), visit);
        } else if (x instanceof Expr.Histogram h) {
            expr(h.operand(), visit);
        } else if (x instanceof Expr.Unary u) {
            expr(u.operand(), visit);
        } else if (x instanceof Expr.Increment i) {
            expr(i.target(), visit);
        } else if (x instanceof Expr.Binary b) {
            expr(b.left(), visit);
            expr(b.right(), visit);
        } else if (x instanceof Expr.Ternary t) {
            expr(t.condition(), visit);
            expr(t.then(), visit);
            expr(t.otherwise(), visit);
        } else if (x instanceof Expr.Membership m) {
            m.keys().forEach(k -> expr(k, visit));
        } else if (x instanceof Expr.Assign a) {
            expr(a.target(), visit);
            expr(a.value(), visit);
        } else if (x instanceof Expr.Accumulate a) {
            expr(a.target(), visit);
            expr(a.value(), visit);
        }
    }
}
