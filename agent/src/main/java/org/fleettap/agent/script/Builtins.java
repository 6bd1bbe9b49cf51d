package org.fleettap.agent.script;

import static org.fleettap.agent.script.Type.LONG;
import static org.fleettap.agent.script.Type.STRING;
import static org.fleettap.agent.script.Type.VOID;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The functions the runtime provides, with their signatures. {@code printf} and {@code sprintf} take a literal format
 * whose directives the type pass checks against the arguments; {@code print} and {@code println} take any values,
 * histograms included.
 */
public final class Builtins {

    private static final Map<String, Signature> ALL = build();

    private Builtins() {
    }

    /** Every builtin by name, in a stable order. */
    public static Map<String, Signature> all() {
        return ALL;
    }

    static Signature lookup(String name) {
        return ALL.get(name);
    }

    private static Map<String, Signature> build() {
        Map<String, Signature> m = new LinkedHashMap<>();
        variadic(m, "printf", VOID, STRING);
        variadic(m, "sprintf", STRING, STRING);
        variadic(m, "print", VOID, Type.UNKNOWN);
        variadic(m, "println", VOID);
        for (String unit : List.of("s", "ms", "us", "ns")) {
            fixed(m, "gettimeofday_" + unit, LONG);
        }
        fixed(m, "local_clock_ns", LONG);
        for (String name : List.of("pid", "tid", "ppid", "uid", "cpu", "target")) {
            fixed(m, name, LONG);
        }
        fixed(m, "execname", STRING);
        fixed(m, "pid2execname", STRING, LONG);
        fixed(m, "pp", STRING);
        fixed(m, "ppfunc", STRING);
        fixed(m, "probefunc", STRING);
        fixed(m, "thread_indent", STRING, LONG);
        fixed(m, "usymname", STRING, LONG);
        fixed(m, "usymdata", STRING, LONG);
        fixed(m, "usymfileline", STRING, LONG);
        fixed(m, "ustack", LONG, LONG);
        fixed(m, "ubacktrace", STRING);
        fixed(m, "print_ubacktrace", VOID);
        fixed(m, "user_string", STRING, LONG);
        fixed(m, "user_string_n", STRING, LONG, LONG);
        fixed(m, "user_long", LONG, LONG);
        fixed(m, "user_int", LONG, LONG);
        fixed(m, "isinstr", LONG, STRING, STRING);
        fixed(m, "strlen", LONG, STRING);
        fixed(m, "substr", STRING, STRING, LONG, LONG);
        fixed(m, "exit", VOID);
        fixed(m, "uint_arg", LONG, LONG);
        fixed(m, "pointer_arg", LONG, LONG);
        return Collections.unmodifiableMap(m);
    }

    private static void fixed(Map<String, Signature> m, String name, Type result, Type... parameters) {
        m.put(name, new Signature(name, List.of(parameters), result, true, false, null));
    }

    /** A variadic builtin; an UNKNOWN leading parameter means "at least one argument of any type". */
    private static void variadic(Map<String, Signature> m, String name, Type result, Type... parameters) {
        m.put(name, new Signature(name, List.of(parameters), result, true, true, null));
    }
}
