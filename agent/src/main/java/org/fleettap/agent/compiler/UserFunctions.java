package org.fleettap.agent.compiler;

import static org.fleettap.agent.compiler.Code.NORMAL;
import static org.fleettap.agent.compiler.Unsupported.unsupported;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fleettap.agent.compiler.Code.L;
import org.fleettap.agent.compiler.Code.S;
import org.fleettap.agent.compiler.Code.X;
import org.fleettap.agent.runtime.StapRuntimeException;
import org.fleettap.agent.script.Expr;
import org.fleettap.agent.script.Script;
import org.fleettap.agent.script.Signature;
import org.fleettap.agent.script.SourceLocation;
import org.fleettap.agent.script.Type;
import org.fleettap.agent.script.VariableInfo;

/** Compiles the script's own functions, each once, and calls of them (a fresh frame per call, bounded nesting). */
final class UserFunctions {
    /** stap's MAXNESTING: how deep user functions may call each other. */
    static final int MAX_NESTING = 10;

    private final Unit unit;
    private final Map<String, FunctionCode> functions = new HashMap<>();

    /** A user function, compiled once (its body is filled in after its slots, so recursion works). */
    private static final class FunctionCode {
        X code;
        int longSlots;
        int stringSlots;
        int[] parameterSlots;
        boolean[] parameterIsString;
    }

    UserFunctions(Unit unit) {
        this.unit = unit;
    }

    /** Whether {@code c} calls a function of the script rather than a builtin. */
    boolean isUserFunction(Expr.Call c) {
        Signature sig = unit.checked.callee(c);
        return sig != null && !sig.builtin();
    }

    /** A call of a void user function as a statement; null for other calls. */
    X callVoid(Expr.Call c) {
        Signature sig = unit.checked.callee(c);
        if (sig != null && !sig.builtin() && sig.returnType() == Type.VOID) {
            FunctionCall f = userCall(c);
            return e -> {
                f.call(e);
                return NORMAL;
            };
        }
        return null;
    }

    L callLong(Expr.Call c) {
        FunctionCall f = userCall(c);
        return e -> {
            f.call(e);
            return e.returnLong;
        };
    }

    S callString(Expr.Call c) {
        FunctionCall f = userCall(c);
        return e -> {
            f.call(e);
            return e.returnString;
        };
    }

    private interface FunctionCall {
        void call(Env e);
    }

    private FunctionCall userCall(Expr.Call c) {
        FunctionCode f = function(c.function(), c.location());
        List<Expr> args = c.arguments();
        int n = args.size();
        L[] longs = new L[n];
        S[] strings = new S[n];
        for (int i = 0; i < n; i++) {
            if (f.parameterIsString[i]) {
                strings[i] = unit.expressions.str(args.get(i));
            } else {
                longs[i] = unit.expressions.lng(args.get(i));
            }
        }
        return e -> {
            long[] nl = new long[f.longSlots];
            String[] ns = new String[f.stringSlots];
            java.util.Arrays.fill(ns, "");
            for (int i = 0; i < n; i++) {
                if (strings[i] != null) {
                    ns[f.parameterSlots[i]] = strings[i].eval(e);
                } else {
                    nl[f.parameterSlots[i]] = longs[i].eval(e);
                }
            }
            if (e.depth >= MAX_NESTING) {
                throw new StapRuntimeException("MAXNESTING exceeded");
            }
            long[] sl = e.longs;
            String[] ss = e.strings;
            e.longs = nl;
            e.strings = ns;
            e.depth++;
            e.returnLong = 0;
            e.returnString = "";
            try {
                f.code.exec(e);
            } finally {
                e.depth--;
                e.longs = sl;
                e.strings = ss;
            }
        };
    }

    private FunctionCode function(String name, SourceLocation at) {
        FunctionCode f = functions.get(name);
        if (f != null) {
            return f;
        }
        Script.Function decl = unit.checked.script().functions().stream().filter(fn -> fn.name().equals(name))
                .findFirst().orElseThrow(() -> unsupported(at, "function '" + name + "'"));
        f = new FunctionCode();
        functions.put(name, f);
        Body saved = unit.body;
        unit.body = new Body(null, false, List.of());
        try {
            Map<String, VariableInfo> locals = unit.checked.locals(decl);
            int n = decl.parameters().size();
            f.parameterSlots = new int[n];
            f.parameterIsString = new boolean[n];
            for (int i = 0; i < n; i++) {
                String p = decl.parameters().get(i).name();
                VariableInfo v = locals.get(p);
                Type t = v == null ? Type.LONG : v.type();
                f.parameterIsString[i] = t == Type.STRING;
                f.parameterSlots[i] = unit.body.slot(p, t);
            }
            locals.forEach((ln, v) -> unit.body.slot(ln, v.type()));
            X code = unit.statements.stmt(decl.body());
            f.longSlots = unit.body.longSlots.size();
            f.stringSlots = unit.body.stringSlots.size();
            f.code = code;
            return f;
        } finally {
            unit.body = saved;
        }
    }
}
