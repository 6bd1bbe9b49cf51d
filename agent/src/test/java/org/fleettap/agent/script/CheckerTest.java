package org.fleettap.agent.script;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The symbol and type passes: what they reject, where, with which hint. */
class CheckerTest {

    private static Compilation check(String text) {
        return Frontend.check(new Source("t.stp", text));
    }

    private static Diagnostic onlyError(String text) {
        Compilation c = check(text);
        assertThat(c.succeeded()).as("compiles: %s", text).isFalse();
        assertThat(c.errors()).as(c.format()).hasSize(1);
        return c.errors().get(0);
    }

    private static SourceLocation at(int line, int column) {
        return new SourceLocation("t.stp", line, column);
    }

    static Stream<Arguments> symbolErrors() {
        return Stream.of(
                Arguments.of("misspelt variable", "global counter\nprobe begin { counter = 1; x = countr }", 2, 32,
                        "unknown variable 'countr'", "did you mean 'counter'?"),
                Arguments.of("function used as a variable", "probe begin { x = pid }", 1, 19,
                        "unknown variable 'pid'", "'pid' is a function: write pid()"),
                Arguments.of("never assigned", "probe begin { printf(\"%d\", zz) }", 1, 28,
                        "unknown variable 'zz'", "assign it first, or declare it with 'global zz'"),
                Arguments.of("misspelt function", "probe begin { prinf(\"x\") }", 1, 15,
                        "unknown function 'prinf'", "did you mean 'print' or 'printf'?"),
                Arguments.of("misspelt user function", "function percent(a) { return a }\n"
                        + "probe begin { x = percnt(1) }", 2, 19, "unknown function 'percnt'",
                        "did you mean 'percent'?"),
                Arguments.of("misspelt array", "global lock_waits\nprobe begin { lock_wait[1] <<< 2 }", 2, 15,
                        "unknown array 'lock_wait'", "did you mean 'lock_waits'?"),
                Arguments.of("undeclared array", "probe begin { a[1] = 2 }", 1, 15, "unknown array 'a'",
                        "declare it at the top level with 'global a'"),
                Arguments.of("local used as an array", "probe begin { x = 1; x[1] = 2 }", 1, 22,
                        "'x' is a local variable, not an array",
                        "arrays must be declared at the top level with 'global x'"),
                Arguments.of("arity conflict", "global a\nprobe begin { a[1] = 1 }\nprobe end { a[1, 2] = 2 }", 3, 13,
                        "'a' is used as an array with 2 keys here but as an array with 1 key at t.stp:2:15", null),
                Arguments.of("scalar and array", "global a\nprobe begin { a = 1 }\nprobe end { a[1] = 2 }", 3, 13,
                        "'a' is used as an array with 1 key here but as a scalar at t.stp:2:15", null),
                Arguments.of("declared array used as scalar", "global a[10]\nprobe begin { a = 1 }", 2, 15,
                        "'a' is declared as an array at t.stp:1:8 but used as a scalar here", "index it, e.g. a[key]"),
                Arguments.of("user function arity", "function f(a) { return a }\nprobe begin { x = f(1, 2) }", 2, 19,
                        "'f' takes 1 argument, found 2", "'f' is defined at t.stp:1:1"),
                Arguments.of("builtin arity", "probe begin { x = substr(\"a\") }", 1, 19,
                        "'substr' takes 3 arguments, found 1", "substr(string, long, long): string"),
                Arguments.of("printf without format", "probe begin { printf() }", 1, 15,
                        "'printf' takes at least 1 argument, found 0", "printf(string, ...)"),
                Arguments.of("redefined builtin", "function execname() { return 1 }", 1, 1,
                        "function 'execname' is a builtin and can't be redefined", "choose another name"),
                Arguments.of("duplicate function", "function f() { }\nfunction f() { }", 2, 1,
                        "function 'f' is already defined at t.stp:1:1", null),
                Arguments.of("duplicate global", "global a, b\nglobal a", 2, 8,
                        "global 'a' is already declared at t.stp:1:8", null),
                Arguments.of("duplicate parameter", "function f(a, a) { }", 1, 15, "parameter 'a' is declared twice",
                        null),
                Arguments.of("local statistic", "probe begin { s <<< 1 }", 1, 15,
                        "statistic 's' must be a global variable", "declare it with 'global s'"),
                Arguments.of("@entry outside a return probe", "probe process(\"a\").function(\"f\") {\n"
                        + "  x = @entry(gettimeofday_us())\n}", 2, 7, "@entry can only be used in a .return probe",
                        "every probe point of the handler must end in .return"),
                Arguments.of("@entry in a probe with a non-return point",
                        "probe process(\"a\").function(\"f\").return, process(\"a\").function(\"g\") {"
                        + " x = @entry(1) }", 1, 75, "@entry can only be used in a .return probe",
                        "every probe point of the handler must end in .return"),
                Arguments.of("@entry in a function", "function f() { return @entry(1) }", 1, 23,
                        "@entry can only be used in a .return probe",
                        "every probe point of the handler must end in .return"),
                Arguments.of("$return outside a return probe", "probe process(\"a\").function(\"f\") { x = $return }",
                        1, 40, "'$return' can only be used in a .return probe",
                        "every probe point of the handler must end in .return"),
                Arguments.of("target variable in a function", "function f() { return $x }", 1, 23,
                        "target variable '$x' can only be used in a probe handler",
                        "pass its value to the function as an argument"),
                Arguments.of("target variable in begin", "probe begin { x = $x }", 1, 19,
                        "target variable '$x' is not available in probe 'begin'", null),
                Arguments.of("next in a function", "function f() { next }", 1, 16,
                        "'next' can only be used in a probe handler", "use 'return' to leave a function"),
                Arguments.of("break outside a loop", "probe begin { if (1) break }", 1, 22,
                        "'break' can only be used in a loop", null),
                Arguments.of("continue outside a loop", "probe begin { continue }", 1, 15,
                        "'continue' can only be used in a loop", null),
                Arguments.of("return in a probe", "probe begin { return 1 }", 1, 15,
                        "'return' can only be used in a function", "use 'next' to leave a probe handler"),
                Arguments.of("foreach over a local", "probe begin { a = 1; foreach (k in a) x = k }", 1, 36,
                        "'a' is a local variable, not an array",
                        "arrays must be declared at the top level with 'global a'"),
                Arguments.of("loop variable naming a global", "global g, arr\nprobe begin { arr[1] = 1;"
                        + " foreach (g in arr) x = g }", 2, 36,
                        "loop variable 'g' must be a local, but it names a global", "choose another name"),
                Arguments.of("script argument 0", "probe begin { x = $0 }", 1, 19,
                        "script arguments are numbered from 1", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("symbolErrors")
    void symbolErrors(String name, String text, int line, int column, String message, String hint) {
        Compilation c = check(text);
        assertThat(c.failedPass()).isEqualTo(Frontend.SYMBOLS);
        Diagnostic d = onlyError(text);
        assertThat(d).isEqualTo(new Diagnostic(Severity.ERROR, at(line, column), message, hint));
    }

    static Stream<Arguments> typeErrors() {
        return Stream.of(
                Arguments.of("global used as long then string",
                        "global x\nprobe begin { x = 1 }\nprobe end { x = \"s\" }", 3, 17,
                        "type mismatch: expected long for 'x' (since t.stp:2:15), found string",
                        null),
                Arguments.of("string then long, named at the use",
                        "global x\nprobe begin { x = \"s\" }\nprobe end { y = 1; x = y }", 3, 24,
                        "type mismatch: expected string for 'x' (since t.stp:2:15), found long ('y' is long since "
                        + "t.stp:3:13)", "turn a number into a string with sprintf(\"%d\", ...)"),
                Arguments.of("statistic read as a value", "global s\nprobe begin { s <<< 1; x = s }", 2, 28,
                        "'s' is a statistic (since t.stp:2:15)",
                        "read it with @count, @sum, @min, @max, @avg or @hist_log"),
                Arguments.of("long then statistic", "global s\nprobe begin { s = 1 }\nprobe end { s <<< 2 }", 3, 13,
                        "type mismatch: expected statistic for the left side of '<<<', found long ('s' is long since "
                        + "t.stp:2:15)", null),
                Arguments.of("string operand of +", "probe begin { x = \"a\" + 1 }", 1, 19,
                        "type mismatch: expected long for an operand of '+', found string", null),
                Arguments.of("number operand of .", "probe begin { x = \"a\" . 1 }", 1, 25,
                        "type mismatch: expected string for an operand of '.', found long",
                        "turn a number into a string with sprintf(\"%d\", ...)"),
                Arguments.of("string condition", "probe begin { if (execname()) x = 1 }", 1, 19,
                        "type mismatch: expected long for a condition, found string", null),
                Arguments.of("comparison of string and long", "probe begin { x = execname() == 1 }", 1, 33,
                        "type mismatch: expected string for the right side of '==' (since t.stp:1:19), found long",
                        "turn a number into a string with sprintf(\"%d\", ...)"),
                Arguments.of("array keys", "global a\nprobe begin { a[1] = 1 }\nprobe end { a[\"k\"] = 2 }", 3, 15,
                        "type mismatch: expected long for key 1 of 'a' (since t.stp:2:17), found string", null),
                Arguments.of("array values", "global a\nprobe begin { a[1] = 1 }\nprobe end { a[2] = \"v\" }", 3, 20,
                        "type mismatch: expected long for 'a' (since t.stp:2:15), found string", null),
                Arguments.of("function parameter", "function f(a) { return a + 1 }\nprobe begin { f(\"s\") }", 2,
                        17, "type mismatch: expected long for 'a' (since t.stp:1:24), found string", null),
                Arguments.of("annotated return type", "function f:string() { return 1 }", 1, 30,
                        "type mismatch: expected string for the return value of 'f' (since t.stp:1:1), found long",
                        "turn a number into a string with sprintf(\"%d\", ...)"),
                Arguments.of("builtin argument", "probe begin { x = strlen(pid()) }", 1, 26,
                        "type mismatch: expected string for argument 1 of strlen(), found long",
                        "turn a number into a string with sprintf(\"%d\", ...)"),
                Arguments.of("target variable as a string", "probe process(\"a\").function(\"f\") {"
                        + " printf(\"%s\\n\", $line) }", 1, 51,
                        "type mismatch: expected string for '%s' in the format (since t.stp:1:43), found long",
                        "a target variable is a number or a pointer: read a string with user_string($line)"),
                Arguments.of("printf directive", "probe begin { printf(\"%d\\n\", execname()) }", 1, 30,
                        "type mismatch: expected long for '%d' in the format (since t.stp:1:22), found string", null),
                Arguments.of("printf width star", "probe begin { printf(\"%*s\", \"a\", \"b\") }", 1, 29,
                        "type mismatch: expected long for '%*s' in the format (since t.stp:1:22), found string", null),
                Arguments.of("printf argument count", "probe begin { printf(\"%d %s\\n\", 1) }", 1, 15,
                        "the format of printf() needs 2 arguments, found 1", null),
                Arguments.of("printf unknown conversion", "probe begin { printf(\"%q\", 1) }", 1, 22,
                        "unknown conversion '%q' in the format", FormatString.SUPPORTED),
                Arguments.of("printf non-literal format", "probe begin { f = \"%d\"; printf(f, 1) }", 1, 32,
                        "the format of printf() must be a string literal", null),
                Arguments.of("sprintf too many arguments", "probe begin { x = sprintf(\"%%\", 1) }", 1, 19,
                        "the format of sprintf() needs 0 arguments, found 1", null),
                Arguments.of("no value", "probe begin { x = exit() }", 1, 19, "'exit' gives no value", null),
                Arguments.of("user function without value",
                        "function f() { printf(\"x\") }\nprobe begin { x = f() + 1 }", 2, 19, "'f' gives no value",
                        null),
                Arguments.of("histogram as a value", "global s\nprobe begin { s <<< 1; x = @hist_log(s) }", 2, 28,
                        "a histogram can only be printed", "print it with print() or println()"),
                Arguments.of("aggregate of a long", "global s\nprobe begin { s = 1; x = @count(s) }", 2, 33,
                        "type mismatch: expected statistic for the operand of @count, found long ('s' is long since "
                        + "t.stp:2:15)", null),
                Arguments.of("foreach key and array key", "global a\nprobe begin { a[\"k\"] = 1;"
                        + " foreach (k in a) { x = k + 1 } }", 2, 50,
                        "type mismatch: expected long for an operand of '+', found string ('k' is string since "
                        + "t.stp:2:36)", null),
                Arguments.of("untyped global", "global g\nprobe begin { delete g }", 1, 8,
                        "can't infer the type of 'g'", "assign it a number or a string, or add to it with '<<<'"),
                Arguments.of("error variable used as a number", "probe begin { try { x = 1 } catch (m) { m++ } }",
                        1, 41, "type mismatch: expected long for the operand of '++', found string ('m' is string "
                        + "since t.stp:1:39)", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typeErrors")
    void typeErrorsNameBothPlaces(String name, String text, int line, int column, String message, String hint) {
        Compilation c = check(text);
        assertThat(c.failedPass()).as(c.format()).isEqualTo(Frontend.TYPES);
        Diagnostic d = onlyError(text);
        assertThat(d).isEqualTo(new Diagnostic(Severity.ERROR, at(line, column), message, hint));
    }

    @Test
    void typesFlowBothWaysThroughFunctionsAndArrays() {
        Compilation c = check("""
                global names, count
                function label(p) { return names[p] }
                probe timer.s(1) { names[pid()] = execname(); count[label(pid())] <<< 1 }
                probe end { foreach ([n] in count @count- limit 3) printf("%s %d\\n", n, @count(count[n])) }
                """);
        assertThat(c.errors()).as(c.format()).isEmpty();
        CheckedScript s = c.script().orElseThrow();
        assertThat(s.functions().get("label")).isEqualTo(new Signature("label", java.util.List.of(Type.LONG),
                Type.STRING, false, false, at(2, 1)));
        assertThat(s.globals().get("count")).extracting(VariableInfo::type, VariableInfo::keyTypes)
                .containsExactly(Type.STATS, java.util.List.of(Type.STRING));
        Script.Probe end = s.script().probes().get(1);
        assertThat(s.locals(end).get("n").type()).isEqualTo(Type.STRING);
    }

    @Test
    void warningsDoNotStopCompilation() {
        Compilation c = check("global unused\nprobe begin { exit() }");
        assertThat(c.succeeded()).isTrue();
        assertThat(c.diagnostics()).containsExactly(
                new Diagnostic(Severity.WARNING, at(1, 8), "global 'unused' is never used", null));
    }

    @Test
    void compilationStopsAtTheFirstPassWithAnError() {
        Compilation c = check("probe begin { x = \"a\" + 1; y = nosuch }");
        assertThat(c.failedPass()).isEqualTo(Frontend.SYMBOLS);
        assertThat(c.errors()).extracting(Diagnostic::message).containsExactly("unknown variable 'nosuch'");
    }

    @Test
    void globalsRecordWhetherTheyAreReadOrWritten() {
        CheckedScript s = check("global w, r = 1\nprobe begin { w = r }").script().orElseThrow();
        assertThat(s.globals().get("w")).extracting(VariableInfo::read, VariableInfo::written)
                .containsExactly(false, true);
        assertThat(s.globals().get("r")).extracting(VariableInfo::read, VariableInfo::written)
                .containsExactly(true, true);
    }

    @Test
    void builtinsHaveSignatures() {
        assertThat(Builtins.all().keySet()).contains("printf", "sprintf", "print", "println", "gettimeofday_s",
                "gettimeofday_ms", "gettimeofday_us", "gettimeofday_ns", "local_clock_ns", "pid", "tid", "ppid",
                "uid", "cpu", "execname", "pid2execname", "target", "pp", "ppfunc", "probefunc", "thread_indent",
                "usymname", "usymdata", "usymfileline", "ustack", "uaddr", "ubacktrace", "print_ubacktrace", "user_string",
                "user_string_n", "user_long", "user_int", "isinstr", "strlen", "substr", "exit", "uint_arg",
                "pointer_arg");
        assertThat(Builtins.all().get("user_string_n").describe()).isEqualTo("user_string_n(long, long): string");
        assertThat(Builtins.all().get("printf").describe()).isEqualTo("printf(string, ...)");
    }

    @Test
    void everyFormatDirectiveIsAccepted() {
        Compilation c = check("probe begin { printf(\"%d %i %u %x %X %o %s %c %p %% %-5d %+d % d %#x %05d %.3s %*d"
                + " %.*s %ld %lld\\n\", 1, 2, 3, 4, 5, 6, \"s\", 7, 8, 9, 10, 11, 12, 13, \"t\", 3, 14, 2, \"u\", 15, 16) }");
        assertThat(c.errors()).as(c.format()).isEmpty();
    }
}
