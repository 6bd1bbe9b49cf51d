package org.fleettap.agent.compiler;

import static org.fleettap.agent.compiler.Unsupported.unsupported;

import org.fleettap.agent.compiler.Code.L;
import org.fleettap.agent.compiler.Code.S;
import org.fleettap.agent.probe.ProbeException;
import org.fleettap.agent.probe.ProbePoint;
import org.fleettap.agent.probe.ProbeSite;
import org.fleettap.agent.probe.UprobeSite;
import org.fleettap.agent.runtime.StapRuntimeException;
import org.fleettap.agent.script.Expr;

/**
 * Compiles target variables: {@code $param}, {@code $return}, a mark's {@code $argN}, {@code &$p->member}, the
 * implicit {@code @entry} of parameters in a return probe, and the strings fetched for them ({@code user_string}).
 */
final class TargetVariables {
    private final Unit unit;

    TargetVariables(Unit unit) {
        this.unit = unit;
    }

    /**
     * {@code &$p->a->b}: the parameter's value plus the members' offsets from DWARF, no memory read (each member
     * after the first '->' must be a struct or union inside the pointee, as in &$mutex->__data->__lock).
     */
    private L memberAddress(Expr.Target t) {
        UprobeSite site = null;
        for (ProbeSite s : unit.body.sites) {
            if (s instanceof UprobeSite u) {
                site = u;
                break;
            }
        }
        if (site == null) {
            throw unsupported(t.location(), "'" + t.spelling() + "' here (members need a function's DWARF)");
        }
        long offset;
        try {
            offset = unit.resolver.memberOffset(site, t.name(), t.members());
        } catch (ProbeException ex) {
            throw new Unsupported(t.location(), ex.getMessage());
        }
        String name = t.name();
        return e -> e.ctx.field(name) + offset;
    }

    /** A target variable as a number. */
    L lng(Expr.Target t) {
        Expr.Entry implicitEntry = unit.body.entryContext ? null : unit.body.implicitEntries.get(t);
        if (implicitEntry != null) {
            int i = unit.body.entryIndex(implicitEntry);
            return e -> e.entry == null ? 0 : (Long) e.entry[i];
        }
        if (t.addressOf() && !t.members().isEmpty()) {
            return memberAddress(t);
        }
        if (!t.members().isEmpty() || t.addressOf()) {
            throw unsupported(t.location(), "'" + t.spelling() + "'");
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
        boolean mark = p.at(1).map(c -> c.name().equals("mark")).orElse(false);
        if (mark && t.name().matches("arg[1-9][0-9]*")) {
            int i = Integer.parseInt(t.name().substring(3)) - 1;
            return e -> {
                long[] a = e.ctx.markArguments();
                if (i >= a.length) {
                    throw new StapRuntimeException("mark has no $arg" + (i + 1));
                }
                return a[i];
            };
        }
        if (unit.body.point.isReturn() && !unit.body.entryContext && kind.equals("process")) {
            throw unsupported(t.location(), "'" + t.spelling() + "' in a .return probe (use @entry)");
        }
        String name = t.name();
        return e -> e.ctx.field(name);
    }

    /** A target variable as a string: a string parameter the probe fetched. */
    S str(Expr.Target t) {
        if (!t.members().isEmpty() || t.addressOf()) {
            throw unsupported(t.location(), "'" + t.spelling() + "'");
        }
        String name = t.name();
        return e -> e.ctx.stringField(name);
    }

    /** {@code user_string(...)}: only of a parameter the probe fetched as a string. */
    S userString(Expr.Call c) {
        if (c.arguments().get(0) instanceof Expr.Target t && t.members().isEmpty() && !t.addressOf()) {
            String name = t.name();
            return e -> e.ctx.stringField(name);
        }
        throw unsupported(c.location(), "user_string() of anything but a fetched string parameter");
    }
}
