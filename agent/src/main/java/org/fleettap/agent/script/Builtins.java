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

    /** user_char(addr) ... user_uint64(addr): an integer read from user memory. */
    public static final List<String> USER_INTEGERS = List.of("user_char", "user_short", "user_ushort", "user_int",
            "user_long", "user_ulong", "user_int8", "user_uint8", "user_int16", "user_uint16", "user_int32",
            "user_uint32", "user_int64", "user_uint64");

    /** uint_arg(N) ... u64_arg(N): the Nth integer argument at a function's entry, by the ABI alone. */
    public static final List<String> ABI_ARGUMENTS = List.of("int_arg", "uint_arg", "long_arg", "ulong_arg",
            "pointer_arg", "s32_arg", "u32_arg", "s64_arg", "u64_arg");

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
        for (String name : List.of("pid", "tid", "ppid", "uid", "euid", "cpu", "target")) {
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
        fixed(m, "uaddr", LONG);
        fixed(m, "ubacktrace", STRING);
        fixed(m, "print_ubacktrace", VOID);
        fixed(m, "user_string", STRING, LONG);
        fixed(m, "user_string_n", STRING, LONG, LONG);
        fixed(m, "user_string2", STRING, LONG, STRING);
        for (String name : USER_INTEGERS) {
            fixed(m, name, LONG, LONG);
        }
        fixed(m, "isinstr", LONG, STRING, STRING);
        fixed(m, "strlen", LONG, STRING);
        fixed(m, "substr", STRING, STRING, LONG, LONG);
        fixed(m, "exit", VOID);
        for (String name : ABI_ARGUMENTS) {
            fixed(m, name, LONG, LONG);
        }
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
