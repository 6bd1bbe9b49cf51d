package org.fleettap.agent.compiler;

import static org.fleettap.agent.compiler.Code.BREAK;
import static org.fleettap.agent.compiler.Code.CONTINUE;
import static org.fleettap.agent.compiler.Code.NEXT;
import static org.fleettap.agent.compiler.Code.NORMAL;
import static org.fleettap.agent.compiler.Code.RETURN;
import static org.fleettap.agent.compiler.Unsupported.unsupported;

import java.util.List;
import org.fleettap.agent.compiler.Code.L;
import org.fleettap.agent.compiler.Code.S;
import org.fleettap.agent.compiler.Code.V;
import org.fleettap.agent.compiler.Code.X;
import org.fleettap.agent.runtime.MapDecl;
import org.fleettap.agent.runtime.Stat;
import org.fleettap.agent.runtime.StapMap;
import org.fleettap.agent.runtime.StapRuntimeException;
import org.fleettap.agent.runtime.StapType;
import org.fleettap.agent.script.Expr;
import org.fleettap.agent.script.Stmt;
import org.fleettap.agent.script.Type;
import org.fleettap.agent.script.VariableInfo;

/** Compiles statements (blocks, control flow, foreach, delete, expression statements) to {@link X} closures. */
final class Statements {
    private final Unit unit;
    private final ScriptState state;

    Statements(Unit unit) {
        this.unit = unit;
        this.state = unit.state;
    }

    /** Thrown when a handler runs more than MAXACTION statements; try/catch cannot catch it (as in stap). */
    private static final StapRuntimeException MAXACTION = new StapRuntimeException("MAXACTION exceeded", false);

    /** A statement, counted against the handler's MAXACTION budget (blocks and empty statements are free). */
    X stmt(Stmt s) {
        X x = compile(s);
        if (s == null || s instanceof Stmt.Block || s instanceof Stmt.Empty) {
            return x;
        }
        return e -> {
            if (--e.actionsLeft < 0) {
                throw MAXACTION;
            }
            return x.exec(e);
        };
    }

    /** One more loop iteration, counted as a statement (so that an empty loop body cannot run forever). */
    private static void iteration(Env e) {
        if (--e.actionsLeft < 0) {
            throw MAXACTION;
        }
    }

    private X compile(Stmt s) {
        if (s == null) {
            return e -> NORMAL;
        }
        if (s instanceof Stmt.Try t) {
            return tryCatch(t);
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
            L c = unit.expressions.cond(i.condition());
            X t = stmt(i.then());
            X o = stmt(i.otherwise());
            return e -> c.eval(e) != 0 ? t.exec(e) : o.exec(e);
        }
        if (s instanceof Stmt.While w) {
            return loop(unit.expressions.cond(w.condition()), stmt(w.body()), null);
        }
        if (s instanceof Stmt.For f) {
            X init = f.init() == null ? null : effect(f.init());
            L c = f.condition() == null ? e -> 1 : unit.expressions.cond(f.condition());
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
            if (unit.type(r.value()) == Type.STRING) {
                S v = unit.expressions.str(r.value());
                return e -> {
                    e.returnString = v.eval(e);
                    return RETURN;
                };
            }
            L v = unit.expressions.lng(r.value());
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

    /**
     * {@code try { } catch (msg) { }}: a run-time error in the body (division by zero, a full array, a fault
     * reading user memory, ...) runs the handler with the error's message instead of ending the probe.
     */
    private X tryCatch(Stmt.Try t) {
        X body = stmt(t.body());
        int slot = t.errorVariable() == null ? -1 : unit.body.slot(t.errorVariable(), Type.STRING);
        X handler = stmt(t.handler());
        return e -> {
            try {
                return body.exec(e);
            } catch (StapRuntimeException ex) {
                if (!ex.catchable()) {
                    throw ex;
                }
                if (slot >= 0) {
                    e.strings[slot] = ex.getMessage();
                }
                return handler.exec(e);
            }
        };
    }

    private static X loop(L cond, X b, X step) {
        return e -> {
            while (cond.eval(e) != 0) {
                iteration(e);
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
        VariableInfo array = unit.checked.variable(f).orElseThrow(() -> unsupported(f.location(), "foreach over '"
                + f.array() + "'"));
        if (!array.array()) {
            throw unsupported(f.location(), "foreach over a non-array");
        }
        int mi = unit.global(array.name());
        StapMap map = state.maps[mi];
        List<StapType> keyTypes = map.decl().keyTypes();
        int n = f.keyVariables().size();
        int[] keySlots = new int[n];
        boolean[] keyString = new boolean[n];
        for (int k = 0; k < n; k++) {
            keyString[k] = keyTypes.get(k) == StapType.STRING;
            keySlots[k] = unit.body.slot(f.keyVariables().get(k), keyString[k] ? Type.STRING : Type.LONG);
        }
        MapDecl.ValueKind kind = map.decl().valueKind();
        int valueSlot = -1;
        if (f.valueVariable() != null) {
            if (kind == MapDecl.ValueKind.STAT) {
                throw unsupported(f.location(), "a value variable over an array of statistics");
            }
            valueSlot = unit.body.slot(f.valueVariable(), kind == MapDecl.ValueKind.STRING ? Type.STRING : Type.LONG);
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
        L limit = f.limit() == null ? null : unit.expressions.lng(f.limit());
        X b = stmt(f.body());
        int vs = valueSlot;
        return e -> {
            StapMap.Order o = limit == null ? base : base.withLimit(limit.eval(e));
            StapMap.Cursor c = map.foreach(o);
            while (c.next()) {
                iteration(e);
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
            StapMap map = unit.map(ix.array());
            V key = unit.expressions.key(ix, map);
            return e -> {
                deleteKey(map, key.eval(e));
                return NORMAL;
            };
        }
        if (t instanceof Expr.Variable v) {
            VariableInfo info = unit.info(v);
            if (info.scope() != VariableInfo.Scope.GLOBAL) {
                if (info.type() == Type.STRING) {
                    int slot = unit.body.slot(v.name(), Type.STRING);
                    return e -> {
                        e.strings[slot] = "";
                        return NORMAL;
                    };
                }
                int slot = unit.body.slot(v.name(), Type.LONG);
                return e -> {
                    e.longs[slot] = 0;
                    return NORMAL;
                };
            }
            int g = unit.global(info.name());
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

    /** An expression evaluated for its effect. */
    private X effect(Expr x) {
        if (x instanceof Expr.Call c) {
            X v = unit.builtins.callVoid(c);
            if (v == null) {
                v = unit.functions.callVoid(c);
            }
            if (v != null) {
                return v;
            }
        }
        if (x instanceof Expr.Accumulate a) {
            L v = unit.expressions.lng(a.value());
            if (a.target() instanceof Expr.Index ix) {
                StapMap map = unit.map(ix.array());
                V key = unit.expressions.key(ix, map);
                return e -> {
                    StapMap.Key k = (StapMap.Key) key.eval(e);
                    map.stat(k).add(v.eval(e));
                    return NORMAL;
                };
            }
            Stat s = state.stats[unit.global(unit.info(a.target()).name())];
            return e -> {
                s.add(v.eval(e));
                return NORMAL;
            };
        }
        Type t = unit.type(x);
        if (t == Type.STRING) {
            S s = unit.expressions.str(x);
            return e -> {
                s.eval(e);
                return NORMAL;
            };
        }
        if (t == Type.VOID) {
            throw unsupported(x.location(), "this statement");
        }
        L l = unit.expressions.lng(x);
        return e -> {
            l.eval(e);
            return NORMAL;
        };
    }
}
