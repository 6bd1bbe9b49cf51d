package org.fleettap.agent.script;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.fleettap.agent.probe.ProbePoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ParserTest {

    private static Script parse(String text) {
        Frontend.Parsed p = Frontend.parse(new Source("t.stp", text));
        assertThat(p.error()).as("parse error").isNull();
        return p.script();
    }

    private static Diagnostic parseError(String text) {
        Frontend.Parsed p = Frontend.parse(new Source("t.stp", text));
        assertThat(p.error()).as("parse error for %s", text).isNotNull();
        assertThat(p.script()).isNull();
        return p.error();
    }

    /** The expression of the only statement of {@code probe begin { TEXT }}. */
    private static Expr expr(String text) {
        Script s = parse("probe begin {\n" + text + "\n}");
        Stmt only = s.probes().get(0).body().statements().get(0);
        return ((Stmt.ExprStatement) only).expression();
    }

    static Stream<Arguments> precedence() {
        return Stream.of(
                Arguments.of("multiplication binds tighter than addition", "a + b * c", "(a + (b * c))"),
                Arguments.of("left associative", "a - b - c", "((a - b) - c)"),
                Arguments.of("concatenation is looser than addition", "a . b + c", "(a . (b + c))"),
                Arguments.of("shift is looser than concatenation", "a << b . c", "(a << (b . c))"),
                Arguments.of("comparison is looser than shift", "a < b << c", "(a < (b << c))"),
                Arguments.of("in is looser than comparison", "a == b in arr", "([(a == b)] in arr)"),
                Arguments.of("bit and is looser than in", "x & k in arr", "(x & ([k] in arr))"),
                Arguments.of("bit operators as in C", "a | b ^ c & d", "(a | (b ^ (c & d)))"),
                Arguments.of("and binds tighter than or", "a || b && c", "(a || (b && c))"),
                Arguments.of("ternary is looser than or", "a || b ? c : d", "((a || b) ? c : d)"),
                Arguments.of("ternary nests to the right", "a ? b : c ? d : e", "(a ? b : (c ? d : e))"),
                Arguments.of("assignment is right associative", "a = b = c", "(a = (b = c))"),
                Arguments.of("assignment is looser than ternary", "a = b ? c : d", "(a = (b ? c : d))"),
                Arguments.of("compound assignments", "a .= b . c", "(a .= (b . c))"),
                Arguments.of("accumulate", "s[k] <<< x + 1", "(s[k] <<< (x + 1))"),
                Arguments.of("unary operators", "- ! ~a", "(-(!(~a)))"),
                Arguments.of("prefix and postfix", "++a + b--", "((++a) + (b--))"),
                Arguments.of("tuple membership", "[a, \"x\"] in arr", "([a,\"x\"] in arr)"),
                Arguments.of("negated membership", "!(k in arr)", "(!([k] in arr))"),
                Arguments.of("tuple keys", "arr[a, b+1]", "arr[a,(b + 1)]"),
                Arguments.of("calls", "f(g(1), \"s\")", "f(g(1),\"s\")"),
                Arguments.of("aggregates", "@count(s[k]) * @max(s[k])", "(@count(s[k]) * @max(s[k]))"),
                Arguments.of("histograms", "@hist_linear(s, 0, 100, 10)", "@hist_linear(s,0,100,10)"),
                Arguments.of("entry", "@entry(gettimeofday_us())", "@entry(gettimeofday_us())"),
                Arguments.of("target members and address", "&$mutex->__data->__lock + $x",
                        "(&$mutex->__data->__lock + $x)"),
                Arguments.of("script arguments", "$1 + strlen(@2)", "($1 + strlen(@2))"),
                Arguments.of("adjacent strings are joined", "\"a\" \"b\"", "\"ab\""),
                Arguments.of("parentheses", "(a + b) * c", "((a + b) * c)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("precedence")
    void operatorPrecedenceAsStap(String name, String text, String tree) {
        assertThat(AstText.of(expr(text))).isEqualTo(tree);
    }

    @Test
    void everyNodeCarriesItsLocation() {
        Expr.Binary b = (Expr.Binary) expr("  x + y");
        assertThat(b.location()).isEqualTo(new SourceLocation("t.stp", 2, 5));
        assertThat(b.left().location()).isEqualTo(new SourceLocation("t.stp", 2, 3));
        assertThat(b.right().location()).isEqualTo(new SourceLocation("t.stp", 2, 7));
    }

    @Test
    void globalsWithInitialisersAndArraySizes() {
        Script s = parse("global a, b = -5, c = \"x\" \"y\", d[1000], e[]\nglobal f;");
        assertThat(s.globals()).extracting(Script.Global::name, Script.Global::declaredArray, Script.Global::size)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("a", false, null),
                        org.assertj.core.groups.Tuple.tuple("b", false, null),
                        org.assertj.core.groups.Tuple.tuple("c", false, null),
                        org.assertj.core.groups.Tuple.tuple("d", true, 1000L),
                        org.assertj.core.groups.Tuple.tuple("e", true, null),
                        org.assertj.core.groups.Tuple.tuple("f", false, null));
        assertThat(s.globals().get(1).initialiser()).isEqualTo(new Expr.IntLiteral(-5, new SourceLocation("t.stp", 1, 15)));
        assertThat(((Expr.StringLiteral) s.globals().get(2).initialiser()).value()).isEqualTo("xy");
    }

    @Test
    void probePointsWithArgumentsWildcardsAndSuffixes() {
        String text = "probe syscall.open*, kernel.function(\"sys_*\").return ?, timer.ms(100),"
                + " process(1234).statement(\"*@f.c:12\")!, process.function(\"f\").call {}";
        Script s = parse(text);
        List<Script.Point> points = s.probes().get(0).points();
        assertThat(points).extracting(p -> p.point().toString()).containsExactly(
                "syscall.open*", "kernel.function(\"sys_*\").return", "timer.ms(100)",
                "process(1234).statement(\"*@f.c:12\")", "process.function(\"f\").call");
        assertThat(points.get(1).optional()).isTrue();
        assertThat(points.get(3).sufficient()).isTrue();
        assertThat(points.get(2).point().components().get(1)).isEqualTo(new ProbePoint.Component("ms", 100L));
        assertThat(points.get(1).isReturn()).isTrue();
        assertThat(points.get(4).location()).isEqualTo(new SourceLocation("t.stp", 1, text.indexOf("process.function") + 1));
    }

    @Test
    void functionsWithTypeAnnotations() {
        Script s = parse("function f:long(a:long, b:string, c) { return a }\nfunction g() { }");
        Script.Function f = s.functions().get(0);
        assertThat(f.returnType()).isEqualTo(Type.LONG);
        assertThat(f.parameters()).extracting(Script.Parameter::name, Script.Parameter::type).containsExactly(
                org.assertj.core.groups.Tuple.tuple("a", Type.LONG),
                org.assertj.core.groups.Tuple.tuple("b", Type.STRING),
                org.assertj.core.groups.Tuple.tuple("c", Type.UNKNOWN));
        assertThat(s.functions().get(1).returnType()).isEqualTo(Type.UNKNOWN);
    }

    @Test
    void statements() {
        Script s = parse("""
                probe begin {
                  if (a) b = 1 else { b = 2 }
                  while (i < 10) { i++; if (i == 5) break; continue }
                  for (i = 0; i < 3; i++) ;
                  for (;;) break
                  delete arr; delete arr[1, "x"]; delete x
                  try { x = 1 } catch (msg) { println(msg) }
                  try { x = 1 } catch { next }
                  return
                }
                """);
        List<Stmt> st = s.probes().get(0).body().statements();
        assertThat(st).extracting(x -> x.getClass().getSimpleName()).containsExactly("If", "While", "For", "For",
                "Delete", "Delete", "Delete", "Try", "Try", "Return");
        assertThat(((Stmt.If) st.get(0)).otherwise()).isInstanceOf(Stmt.Block.class);
        Stmt.For forever = (Stmt.For) st.get(3);
        assertThat(forever.init()).isNull();
        assertThat(forever.condition()).isNull();
        assertThat(forever.step()).isNull();
        assertThat(((Stmt.Try) st.get(7)).errorVariable()).isEqualTo("msg");
        assertThat(((Stmt.Return) st.get(9)).value()).isNull();
    }

    static Stream<Arguments> foreachForms() {
        return Stream.of(
                Arguments.of("single key", "foreach (k in arr) x", null, List.of("k"), -1, false, null, false),
                Arguments.of("tuple sorted on a key", "foreach ([a, b-] in arr) x", null, List.of("a", "b"), 2, true,
                        null, false),
                Arguments.of("value sort with limit", "foreach ([a, b] in arr+ limit 10) x", null, List.of("a", "b"),
                        0, false, null, true),
                Arguments.of("value variable, value sort", "foreach (v = [a, b] in arr-) x", "v", List.of("a", "b"), 0,
                        true, null, false),
                Arguments.of("value variable with sign", "foreach (v- = k in arr) x", "v", List.of("k"), 0, true, null,
                        false),
                Arguments.of("aggregate sort", "foreach ([i] in s @sum+ limit 5) x", null, List.of("i"), 0, false,
                        Expr.AggregateOp.SUM, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("foreachForms")
    void foreachForms(String name, String text, String value, List<String> keys, int sortColumn, boolean descending,
            Expr.AggregateOp aggregate, boolean limited) {
        Script s = parse("probe begin { " + text + " }");
        Stmt.Foreach f = (Stmt.Foreach) s.probes().get(0).body().statements().get(0);
        assertThat(f.valueVariable()).isEqualTo(value);
        assertThat(f.keyVariables()).isEqualTo(keys);
        assertThat(f.sortColumn()).isEqualTo(sortColumn);
        assertThat(f.descending()).isEqualTo(descending);
        assertThat(f.sortAggregate()).isEqualTo(aggregate);
        assertThat(f.limit() != null).isEqualTo(limited);
    }

    static Stream<Arguments> syntaxErrors() {
        String embedded = "embedded C is refused: no script may write to a traced process or load code into the kernel";
        return Stream.of(
                Arguments.of("missing closing brace", "probe begin {\n  x = 1\n", 3, 1,
                        "expected '}' to close the block opened at t.stp:1:13, found end of input"),
                Arguments.of("missing closing parenthesis", "probe begin { f(1, 2 }", 1, 22, "expected ')', found '}'"),
                Arguments.of("top level junk", "x = 1", 1, 1, "expected 'global', 'probe' or 'function', found 'x'"),
                Arguments.of("probe without body", "probe begin", 1, 12, "expected '{', found end of input"),
                Arguments.of("bad probe point", "probe 42x {}", 1, 7, "invalid decimal integer literal '42x'"),
                Arguments.of("empty component", "probe process(\"a\"). {}", 1, 21,
                        "expected a probe point name, found '{'"),
                Arguments.of("probe point expression argument", "probe timer.ms(1+2) {}", 1, 17,
                        "expected ')', found '+'"),
                Arguments.of("probe point script argument", "probe process(@1).function(\"f\") {}", 1, 15,
                        "script arguments in probe points are not supported"),
                Arguments.of("probe alias", "probe myalias = begin {}", 1, 15,
                        "probe aliases ('probe NAME = ...') are not supported"),
                Arguments.of("conditional probe", "probe begin if (x) {}", 1, 13,
                        "conditional probes ('if (...)' after the probe points) are not supported"),
                Arguments.of("missing operand", "probe begin { x = }", 1, 19, "expected an expression, found '}'"),
                Arguments.of("keyword as a variable", "probe begin { in = 1 }", 1, 15,
                        "expected a statement, found keyword 'in'"),
                Arguments.of("else without if", "probe begin { else x }", 1, 15,
                        "expected a statement, found keyword 'else'"),
                Arguments.of("assign to a literal", "probe begin { 1 = x }", 1, 15,
                        "the left side of '=' must be a variable or an array element"),
                Arguments.of("increment of a call", "probe begin { f()++ }", 1, 15, "'++' needs a variable or an array element"),
                Arguments.of("guru write to target", "probe begin { $x->y = 1 }", 1, 15,
                        "writing to target variable '$x->y' is refused: no script may write to a traced process"),
                Arguments.of("guru increment of target", "probe begin { $count++ }", 1, 15,
                        "writing to target variable '$count' is refused: no script may write to a traced process"),
                Arguments.of("guru embedded C in a function", "function f() %{ return 1; %}", 1, 14, embedded),
                Arguments.of("address of a non-target", "probe begin { x = &y }", 1, 19,
                        "'&' takes the address of a target variable, e.g. &$mutex->__data"),
                Arguments.of("regex match", "probe begin { if (s =~ \"a.*\") x = 1 }", 1, 21,
                        "regular expression matching ('=~') is not supported"),
                Arguments.of("unsupported @ operator", "probe begin { x = @var(\"y\") }", 1, 19, "'@var' is not supported"),
                Arguments.of("cast", "probe begin { x = @cast(p, \"task\")->pid }", 1, 19, "'@cast' is not supported"),
                Arguments.of("aggregate of an expression", "probe begin { x = @count(1 + 2) }", 1, 28,
                        "the operand of @count must be a statistic: a global variable or a global array element"),
                Arguments.of("hist_linear with bad range", "probe begin { print(@hist_linear(s, 10, 0, 1)) }", 1, 21,
                        "@hist_linear needs low < high and a positive width"),
                Arguments.of("histogram bucket", "probe begin { x = @hist_log(s)[3] }", 1, 31,
                        "reading one histogram bucket is not supported"),
                Arguments.of("two sort directions", "probe begin { foreach ([a+, b-] in arr) x }", 1, 30,
                        "only one sort direction ('+' or '-') is allowed in foreach"),
                Arguments.of("foreach without in", "probe begin { foreach (k arr) x }", 1, 26,
                        "expected 'in', found 'arr'"),
                Arguments.of("array slice", "probe begin { foreach (k in arr[1]) x }", 1, 32,
                        "foreach over an array slice ('arr[...]') is not supported"),
                Arguments.of("wildcard key", "probe begin { delete arr[*] }", 1, 26,
                        "wildcard keys ('*') are not supported"),
                Arguments.of("bad type annotation", "function f:int() {}", 1, 12, "expected a type, found 'int'"),
                Arguments.of("array with initialiser", "global a[10] = 1", 1, 14, "an array can't have an initialiser"),
                Arguments.of("wrapping array", "global a%[10]", 1, 9, "wrapping arrays ('a%') are not supported"),
                Arguments.of("target array index", "probe begin { x = $argv[1] }", 1, 24,
                        "indexing target variable '$argv' is not supported"),
                Arguments.of("delete of an expression", "probe begin { delete 1 }", 1, 22,
                        "'delete' needs a variable, an array or an array element"),
                Arguments.of("private", "private global x", 1, 1, "'private' is not supported"),
                Arguments.of("macro", "@define foo 1", 1, 1, "'@define' is not supported at the top level"),
                Arguments.of("tuple without in", "probe begin { x = [1, 2] }", 1, 26, "expected 'in' after a key tuple, found '}'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("syntaxErrors")
    void syntaxErrorsNameTheirPlace(String name, String text, int line, int column, String message) {
        Diagnostic d = parseError(text);
        assertThat(d.severity()).isEqualTo(Severity.ERROR);
        assertThat(d.message()).isEqualTo(message);
        assertThat(d.location()).isEqualTo(new SourceLocation("t.stp", line, column));
    }

    @Test
    void nestingIsBoundedInsteadOfOverflowingTheStack() {
        String deep = "probe begin { x = " + "(".repeat(10_000) + "1" + ")".repeat(10_000) + " }";
        Diagnostic d = parseError(deep);
        assertThat(d.message()).isEqualTo("nesting too deep (more than 256 levels)");
        String longChain = "probe begin { x = 1" + " + 1".repeat(10_000) + " }";
        assertThat(parseError(longChain).message()).isEqualTo("nesting too deep (more than 256 levels)");
        String blocks = "probe begin " + "{".repeat(10_000) + "}".repeat(10_000);
        assertThat(parseError(blocks).message()).isEqualTo("nesting too deep (more than 256 levels)");
        String unary = "probe begin { x = " + "-".repeat(10_000) + "1 }";
        assertThat(parseError(unary).message()).isEqualTo("nesting too deep (more than 256 levels)");
        String ifs = "probe begin { " + "if (x) ".repeat(10_000) + "y = 1 }";
        assertThat(parseError(ifs).message()).isEqualTo("nesting too deep (more than 256 levels)");
    }

    @Test
    void nestingWithinTheBoundParses() {
        String ok = "probe begin { x = " + "(".repeat(100) + "1" + ")".repeat(100) + " + 2" + " + 1".repeat(100)
                + " }";
        assertThat(Frontend.check(new Source("t.stp", ok)).errors()).isEmpty();
    }
}
