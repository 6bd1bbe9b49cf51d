package org.fleettap.agent.compiler;

import static org.fleettap.agent.compiler.Code.NORMAL;
import static org.fleettap.agent.compiler.Unsupported.unsupported;

import java.util.ArrayList;
import java.util.List;
import org.fleettap.agent.compiler.Code.L;
import org.fleettap.agent.compiler.Code.S;
import org.fleettap.agent.compiler.Code.V;
import org.fleettap.agent.compiler.Code.X;
import org.fleettap.agent.demangle.Demangler;
import org.fleettap.agent.probe.TracepointSite;
import org.fleettap.agent.probe.UprobeSite;
import org.fleettap.agent.runtime.Stat;
import org.fleettap.agent.runtime.StapFormat;
import org.fleettap.agent.runtime.StapString;
import org.fleettap.agent.script.Expr;
import org.fleettap.agent.script.Type;
import org.fleettap.agent.session.EventContext;
import org.fleettap.agent.target.Tasks;

/**
 * Compiles calls of builtin functions: output (print, printf with its format), the event's context (pid, time,
 * probe point), strings, and the user stack with its symbols. Calls of the script's own functions are
 * {@link UserFunctions}'.
 */
final class BuiltinCalls {
    private final Unit unit;
    private final ScriptState state;

    BuiltinCalls(Unit unit) {
        this.unit = unit;
        this.state = unit.state;
    }

    /** Builtin calls that give no value (printf, print, exit); null for other calls. */
    X callVoid(Expr.Call c) {
        List<Expr> args = c.arguments();
        switch (c.function()) {
            case "print_ubacktrace" -> {
                // One line per frame of the user stack: " 0xADDR : FUNCTION+0xOFF [MODULE]" (names demangled).
                unit.body.usesStack = true;
                boolean inReturnProbe = unit.body.point != null && unit.body.point.isReturn();
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
                V values = formatArguments(c);
                return e -> {
                    StringBuilder sb = new StringBuilder();
                    f.printf(sb, (Object[]) values.eval(e));
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
            default -> {
                return null;
            }
        }
    }

    private java.util.function.BiConsumer<Env, StringBuilder> printPart(Expr a) {
        if (a instanceof Expr.Histogram h) {
            java.util.function.Function<Env, Stat> s = unit.expressions.stat(h.operand());
            return (e, sb) -> Expressions.present(s.apply(e)).appendHistogram(sb);
        }
        if (unit.type(a) == Type.STRING) {
            S s = unit.expressions.str(a);
            return (e, sb) -> sb.append(s.eval(e));
        }
        L l = unit.expressions.lng(a);
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

    L callLong(Expr.Call c) {
        List<Expr> args = c.arguments();
        if (TargetVariables.isUserInteger(c.function())) {
            return unit.targets.userInteger(c);
        }
        if (TargetVariables.isAbiArgument(c.function())) {
            return unit.targets.abiArgument(c);
        }
        switch (c.function()) {
            case "pid" -> {
                return e -> e.ctx.pid();
            }
            case "ppid" -> {
                return e -> e.ctx.ppid();
            }
            case "uid" -> {
                return e -> e.ctx.uid();
            }
            case "euid" -> {
                return e -> e.ctx.euid();
            }
            case "target" -> {
                return e -> e.state.session == null ? 0 : e.state.session.targetPid();
            }
            case "tid" -> {
                return e -> e.ctx.tid();
            }
            case "uaddr" -> {
                // The user address a uprobe hit: its instruction, or in a .return probe the return address in the
                // caller (stap's uaddr()); 0 in other probes. Cheaper than ustack(): no stack is copied.
                return e -> e.ctx.site() instanceof org.fleettap.agent.probe.UprobeSite && e.ctx.record() != null
                        ? e.ctx.record().ip() : 0;
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
                S s = unit.expressions.str(args.get(0));
                return e -> StapString.byteLength(s.eval(e));
            }
            case "isinstr" -> {
                S a = unit.expressions.str(args.get(0));
                S b = unit.expressions.str(args.get(1));
                return e -> a.eval(e).contains(b.eval(e)) ? 1 : 0;
            }
            case "ustack" -> {
                unit.body.usesStack = true;
                L n = unit.expressions.lng(args.get(0));
                // In a return probe the sample is taken at the return address, in the caller: stap's frame 0 is
                // the returning function itself, so the unwound frames start at its frame 1 (ustack(1) is the
                // call site, as in the talk's lock names).
                int shift = unit.body.point.isReturn() ? 1 : 0;
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

    /** The values after a printf/sprintf format, evaluated into a fresh array per call. */
    private V formatArguments(Expr.Call c) {
        List<Expr> args = c.arguments();
        V[] vs = args.subList(1, args.size()).stream().map(unit.expressions::value).toArray(V[]::new);
        return e -> {
            Object[] a = new Object[vs.length];
            for (int i = 0; i < vs.length; i++) {
                a[i] = vs[i].eval(e);
            }
            return a;
        };
    }

    S callString(Expr.Call c) {
        List<Expr> args = c.arguments();
        switch (c.function()) {
            case "sprintf" -> {
                StapFormat f = format(c);
                V values = formatArguments(c);
                return e -> f.sprintf((Object[]) values.eval(e));
            }
            case "execname" -> {
                return e -> e.ctx.execname();
            }
            case "pid2execname" -> {
                L pid = unit.expressions.lng(args.get(0));
                return e -> Tasks.execName((int) pid.eval(e));
            }
            case "pp" -> {
                String written = unit.body.point == null ? "" : unit.body.point.point().toString();
                return e -> pp(e.ctx, written);
            }
            case "ppfunc", "probefunc" -> {
                return e -> probefunc(e.ctx);
            }
            case "user_string", "user_string_n", "user_string2" -> {
                return unit.targets.userString(c);
            }
            case "substr" -> {
                S s = unit.expressions.str(args.get(0));
                L start = unit.expressions.lng(args.get(1));
                L len = unit.expressions.lng(args.get(2));
                return e -> substr(s.eval(e), start.eval(e), len.eval(e));
            }
            case "thread_indent" -> {
                L d = unit.expressions.lng(args.get(0));
                return e -> state.indent.threadIndent(d.eval(e), e.ctx.tid(), e.ctx.execname(),
                        e.ctx.realtimeNanos() / 1000);
            }
            case "ubacktrace" -> {
                unit.body.usesStack = true;
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
            case "usymdata" -> {
                L a = unit.expressions.lng(args.get(0));
                return e -> {
                    long addr = a.eval(e);
                    return e.state.session == null ? "0x" + Long.toHexString(addr)
                            : e.state.session.symbolizer().symbolizeData(e.ctx.pid(), addr);
                };
            }
            case "usymname", "usymfileline" -> {
                L a = unit.expressions.lng(args.get(0));
                boolean name = c.function().equals("usymname");
                boolean inReturnProbe = unit.body.point != null && unit.body.point.isReturn();
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
}
