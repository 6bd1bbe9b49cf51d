package org.fleettap.agent.compiler;

import static org.fleettap.agent.compiler.Unsupported.unsupported;

import java.util.List;
import java.util.function.LongBinaryOperator;
import org.fleettap.agent.compiler.Code.L;
import org.fleettap.agent.compiler.Code.LPlace;
import org.fleettap.agent.compiler.Code.S;
import org.fleettap.agent.compiler.Code.SPlace;
import org.fleettap.agent.compiler.Code.V;
import org.fleettap.agent.runtime.MapDecl;
import org.fleettap.agent.runtime.Stat;
import org.fleettap.agent.runtime.StapLong;
import org.fleettap.agent.runtime.StapMap;
import org.fleettap.agent.runtime.StapRuntimeException;
import org.fleettap.agent.runtime.StapString;
import org.fleettap.agent.runtime.StapType;
import org.fleettap.agent.script.Expr;
import org.fleettap.agent.script.SourceLocation;
import org.fleettap.agent.script.Type;
import org.fleettap.agent.script.VariableInfo;

/**
 * Compiles expressions to {@link L} (numbers) and {@link S} (strings): literals, operators, array keys, assignable
 * places (variables and array elements) and statistics. Calls and target variables go to their own compilers.
 */
final class Expressions {
    private final Unit unit;
    private final ScriptState state;

    Expressions(Unit unit) {
        this.unit = unit;
        this.state = unit.state;
    }

    L cond(Expr x) {
        if (unit.type(x) == Type.STRING) {
            throw unsupported(x.location(), "a string as a condition");
        }
        return lng(x);
    }

    /** A number (boxed) or a string, as the expression's type says: for printf arguments and @entry values. */
    V value(Expr x) {
        if (unit.type(x) == Type.STRING) {
            S s = str(x);
            return s::eval;
        }
        L l = lng(x);
        return e -> l.eval(e);
    }

    /** The key of an array element, evaluated into a fresh tuple. */
    V key(Expr.Index ix, StapMap map) {
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

    L lng(Expr x) {
        if (x instanceof Expr.IntLiteral i) {
            long v = i.value();
            return e -> v;
        }
        if (x instanceof Expr.ScriptArgument a) {
            String text = unit.argument(a).strip();
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
            return unit.functions.isUserFunction(c) ? unit.functions.callLong(c) : unit.builtins.callLong(c);
        }
        if (x instanceof Expr.Target t) {
            return unit.targets.lng(t);
        }
        if (x instanceof Expr.Entry en) {
            int i = unit.body.entryIndex(en);
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
            StapMap map = unit.map(m.array());
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
        if (b.op().isComparison() && unit.type(b.left()) == Type.STRING) {
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

    S str(Expr x) {
        if (x instanceof Expr.StringLiteral s) {
            String v = s.value();
            return e -> v;
        }
        if (x instanceof Expr.ScriptArgument a) {
            String v = unit.argument(a);
            return e -> v;
        }
        if (x instanceof Expr.Variable || x instanceof Expr.Index) {
            SPlace p = splace(x);
            return e -> p.get(e, p.key(e));
        }
        if (x instanceof Expr.Call c) {
            return unit.functions.isUserFunction(c) ? unit.functions.callString(c) : unit.builtins.callString(c);
        }
        if (x instanceof Expr.Entry en) {
            int i = unit.body.entryIndex(en);
            return e -> e.entry == null ? "" : (String) e.entry[i];
        }
        if (x instanceof Expr.Target t) {
            return unit.targets.str(t);
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
            StapMap map = unit.map(ix.array());
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
        VariableInfo v = unit.info(x);
        if (v.scope() == VariableInfo.Scope.GLOBAL) {
            if (v.array() || v.type() == Type.STATS) {
                throw unsupported(x.location(), "this use of '" + v.name() + "'");
            }
            int g = unit.global(v.name());
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
        int slot = unit.body.slot(v.name(), Type.LONG);
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
            StapMap map = unit.map(ix.array());
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
        VariableInfo v = unit.info(x);
        if (v.scope() == VariableInfo.Scope.GLOBAL) {
            int g = unit.global(v.name());
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
        int slot = unit.body.slot(v.name(), Type.STRING);
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
    java.util.function.Function<Env, Stat> stat(Expr operand) {
        if (operand instanceof Expr.Index ix) {
            StapMap map = unit.map(ix.array());
            V key = key(ix, map);
            return e -> map.statIfPresent((StapMap.Key) key.eval(e));
        }
        VariableInfo v = unit.info(operand);
        if (v.type() != Type.STATS || v.array()) {
            throw unsupported(operand.location(), "this statistic operand");
        }
        Stat s = state.stats[unit.global(v.name())];
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

    static Stat present(Stat s) {
        if (s == null) {
            throw new StapRuntimeException(Stat.EMPTY_AGGREGATE);
        }
        return s;
    }
}
