package org.fleettap.agent.compiler;

import static org.fleettap.agent.compiler.Unsupported.unsupported;

import java.util.Map;
import org.fleettap.agent.compiler.Code.L;
import org.fleettap.agent.compiler.Code.S;
import org.fleettap.agent.probe.ProbePoint;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.probe.TargetAccess;
import org.fleettap.agent.probe.UprobeSite;
import org.fleettap.agent.runtime.StapRuntimeException;
import org.fleettap.agent.runtime.StapString;
import org.fleettap.agent.script.Expr;
import org.fleettap.agent.target.ProcessMemory;
import org.fleettap.agent.tracefs.FetchType;

/**
 * Compiles target variables and reads of user memory: {@code $param}, {@code $p->a->b}, {@code &$p->member},
 * {@code $return}, a mark's {@code $argN}, the implicit {@code @entry} of parameters in a return probe,
 * {@code uint_arg(N)} and friends, {@code user_string}/{@code user_long}/... .
 *
 * <p>Where the kernel can do it, reads happen in the probe itself (tracefs fetch args, see {@link KernelReads}):
 * at a function's entry or a mark, of a parameter, member, raw argument or an address made of those plus a
 * constant. Any other address (one the script computed or saved at entry for its return) is read when the agent
 * handles the event, with process_vm_readv: milliseconds later, while the process runs on.
 */
final class TargetVariables {
    private static final Map<String, FetchType> USER_INTEGERS = Map.ofEntries(
            Map.entry("user_char", FetchType.S8), Map.entry("user_short", FetchType.S16),
            Map.entry("user_ushort", FetchType.U16), Map.entry("user_int", FetchType.S32),
            Map.entry("user_long", FetchType.S64), Map.entry("user_ulong", FetchType.U64),
            Map.entry("user_int8", FetchType.S8), Map.entry("user_uint8", FetchType.U8),
            Map.entry("user_int16", FetchType.S16), Map.entry("user_uint16", FetchType.U16),
            Map.entry("user_int32", FetchType.S32), Map.entry("user_uint32", FetchType.U32),
            Map.entry("user_int64", FetchType.S64), Map.entry("user_uint64", FetchType.U64));

    private static final Map<String, FetchType> ABI_ARGUMENTS = Map.of(
            "int_arg", FetchType.S32, "uint_arg", FetchType.U32, "long_arg", FetchType.S64,
            "ulong_arg", FetchType.U64, "pointer_arg", FetchType.U64, "s32_arg", FetchType.S32,
            "u32_arg", FetchType.U32, "s64_arg", FetchType.S64, "u64_arg", FetchType.U64);

    private final Unit unit;

    TargetVariables(Unit unit) {
        this.unit = unit;
    }

    static boolean isUserInteger(String function) {
        return USER_INTEGERS.containsKey(function);
    }

    static boolean isAbiArgument(String function) {
        return ABI_ARGUMENTS.containsKey(function);
    }

    /** Whether the body being compiled can read in the kernel (it fires at function entries or marks). */
    private boolean inKernel() {
        return unit.body.reads != null && unit.body.reads.possible();
    }

    private boolean atUprobes() {
        return !unit.body.sites.isEmpty() && unit.body.sites.stream().allMatch(s -> s instanceof UprobeSite);
    }

    private boolean atMark() {
        ProbePoint p = unit.body.point.point();
        return p.at(1).map(c -> c.name().equals("mark")).orElse(false);
    }

    /** How the kernel reads {@code x} at the body's sites, or null when {@code x} is not such a read. */
    private KernelReads.Access access(Expr x) {
        if (x instanceof Expr.Target t && !t.isReturn()) {
            if (atMark()) {
                if (t.members().isEmpty() && !t.addressOf() && t.name().matches("arg[1-9][0-9]*")) {
                    int n = Integer.parseInt(t.name().substring(3));
                    return site -> unit.resolver.markArgument(site, n);
                }
                return null;
            }
            return site -> unit.resolver.targetAccess(site, t.name(), t.members(), t.addressOf());
        }
        if (x instanceof Expr.Call c && ABI_ARGUMENTS.containsKey(c.function())
                && c.arguments().get(0) instanceof Expr.IntLiteral n) {
            FetchType type = ABI_ARGUMENTS.get(c.function());
            return site -> ProbeResolver.abiArgument((int) n.value(), type);
        }
        if (x instanceof Expr.Call c && USER_INTEGERS.containsKey(c.function())) {
            KernelReads.Access inner = access(c.arguments().get(0));
            FetchType type = USER_INTEGERS.get(c.function());
            return inner == null ? null : site -> new TargetAccess(inner.at(site).load(), type, 0);
        }
        if (x instanceof Expr.Binary b && (b.op() == Expr.BinaryOp.ADD || b.op() == Expr.BinaryOp.SUB)) {
            if (b.right() instanceof Expr.IntLiteral k) {
                KernelReads.Access left = access(b.left());
                long d = b.op() == Expr.BinaryOp.ADD ? k.value() : -k.value();
                return left == null ? null : site -> left.at(site).plus(d);
            }
            if (b.left() instanceof Expr.IntLiteral k && b.op() == Expr.BinaryOp.ADD) {
                KernelReads.Access right = access(b.right());
                return right == null ? null : site -> right.at(site).plus(k.value());
            }
        }
        return null;
    }

    private static String key(Expr x) {
        return x instanceof Expr.Target t ? t.spelling() : x.toString();
    }

    /** A target variable as a number. */
    L lng(Expr.Target t) {
        Expr.Entry implicitEntry = unit.body.entryContext ? null : unit.body.implicitEntries.get(t);
        if (implicitEntry != null) {
            int i = unit.body.entryIndex(implicitEntry);
            return e -> e.entry == null ? 0 : (Long) e.entry[i];
        }
        ProbePoint p = unit.body.point.point();
        String kind = p.first().name();
        if (t.isReturn()) {
            if (unit.body.entryContext || !unit.body.point.isReturn()) {
                throw unsupported(t.location(), "$return outside a .return probe");
            }
            String field = kind.equals("syscall") ? "ret" : "retval";
            return e -> e.ctx.field(field);
        }
        if (atMark() && t.members().isEmpty() && !t.addressOf() && t.name().matches("arg[1-9][0-9]*")) {
            int i = Integer.parseInt(t.name().substring(3)) - 1;
            return e -> {
                long[] a = e.ctx.markArguments();
                if (i >= a.length) {
                    throw new StapRuntimeException("mark has no $arg" + (i + 1));
                }
                return a[i];
            };
        }
        if (atUprobes()) {
            if (!inKernel()) {
                throw unsupported(t.location(), "'" + t.spelling() + "' in a .return probe (use @entry)");
            }
            return number(t);
        }
        if (!t.members().isEmpty() || t.addressOf()) {
            throw unsupported(t.location(), "'" + t.spelling() + "' here (members need a function's DWARF)");
        }
        String name = t.name();
        return e -> e.ctx.field(name);
    }

    private L number(Expr x) {
        KernelReads.Number n = unit.body.reads.number(key(x), access(x), x.location());
        String field = n.field();
        long addend = n.addend();
        return addend == 0 ? e -> e.ctx.field(field) : e -> e.ctx.field(field) + addend;
    }

    /** A target variable as a string: a string field of a tracepoint. */
    S str(Expr.Target t) {
        if (!t.members().isEmpty() || t.addressOf() || atUprobes()) {
            throw unsupported(t.location(), "'" + t.spelling() + "' as a string (read it with user_string())");
        }
        String name = t.name();
        return e -> e.ctx.stringField(name);
    }

    /** {@code uint_arg(N)}, {@code pointer_arg(N)}, ...: the ABI's Nth integer argument at a function's entry. */
    L abiArgument(Expr.Call c) {
        if (!(c.arguments().get(0) instanceof Expr.IntLiteral)) {
            throw new Unsupported(c.arguments().get(0).location(), c.function() + "() takes a literal argument number");
        }
        if (!inKernel() || atMark()) {
            throw new Unsupported(c.location(), c.function() + "() reads the registers at a function's entry: use it "
                    + "in a process(...).function(...) probe (at a return, save it with @entry)");
        }
        return number(c);
    }

    /** {@code user_long(addr)} and the other integer reads: 0 where the memory cannot be read, as in stap. */
    L userInteger(Expr.Call c) {
        FetchType type = USER_INTEGERS.get(c.function());
        Expr address = c.arguments().get(0);
        KernelReads.Access a = inKernel() ? access(address) : null;
        if (a != null) {
            String field = unit.body.reads.integer(key(address), a, type, c.location());
            return e -> e.ctx.field(field);
        }
        L at = unit.expressions.lng(address);
        int size = type.size();
        boolean signed = type.signed();
        return e -> {
            try {
                return e.state.memory.readInteger(e.ctx.pid(), at.eval(e), size, signed);
            } catch (ProcessMemory.ReadException ex) {
                return 0;
            }
        };
    }

    /**
     * {@code user_string(addr)}, {@code user_string_n(addr, n)} and {@code user_string2(addr, err)}: a fault is
     * a run-time error (or {@code err}).
     */
    S userString(Expr.Call c) {
        Expr address = c.arguments().get(0);
        L limit = c.function().equals("user_string_n") ? unit.expressions.lng(c.arguments().get(1)) : null;
        S fallback = c.function().equals("user_string2") ? unit.expressions.str(c.arguments().get(1)) : null;
        KernelReads.Access a = inKernel() ? access(address) : null;
        if (a != null) {
            String field = unit.body.reads.string(key(address), a, c.location());
            String what = address instanceof Expr.Target t ? t.spelling() : "the address";
            return e -> {
                String s = e.ctx.fetchedString(field);
                if (s == null) {
                    if (fallback != null) {
                        return fallback.eval(e);
                    }
                    throw new StapRuntimeException("user string copy fault at " + what);
                }
                return limit == null ? StapString.truncate(s) : cut(s, limit.eval(e));
            };
        }
        L at = unit.expressions.lng(address);
        return e -> {
            long addr = at.eval(e);
            try {
                String s = e.state.memory.readString(e.ctx.pid(), addr, StapString.MAX_CONTENT_BYTES);
                return limit == null ? s : cut(s, limit.eval(e));
            } catch (ProcessMemory.ReadException ex) {
                if (fallback != null) {
                    return fallback.eval(e);
                }
                throw new StapRuntimeException("user string copy fault at 0x" + Long.toHexString(addr) + " ("
                        + ex.getMessage() + ")");
            }
        };
    }

    /** The first {@code limit} bytes of {@code s} (user_string_n), never more than a string holds. */
    private static String cut(String s, long limit) {
        long n = Math.min(limit, StapString.MAX_CONTENT_BYTES);
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (n <= 0) {
            return "";
        }
        return b.length <= n ? s : new String(b, 0, (int) n, java.nio.charset.StandardCharsets.UTF_8);
    }
}
