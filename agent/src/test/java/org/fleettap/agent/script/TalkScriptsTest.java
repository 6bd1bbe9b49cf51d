package org.fleettap.agent.script;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.fleettap.agent.probe.ProbePoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The talk's scripts S1-S8 parse and check, with the structure and types a compiler needs; S9 is refused. */
class TalkScriptsTest {

    static List<TalkScripts.Example> accepted() {
        return TalkScripts.ACCEPTED;
    }

    private static CheckedScript checked(TalkScripts.Example example) {
        Compilation c = Frontend.check(example.source());
        assertThat(c.errors()).as(c.format()).isEmpty();
        assertThat(c.failedPass()).isNull();
        return c.script().orElseThrow();
    }

    private static ProbePoint point(Script.Probe probe, int index) {
        return probe.points().get(index).point();
    }

    private static ProbePoint.Component c(String name, Object argument) {
        return new ProbePoint.Component(name, argument);
    }

    private static VariableInfo global(CheckedScript s, String name) {
        return s.globals().get(name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void checksWithoutDiagnosticsOfAnyKind(TalkScripts.Example example) {
        Compilation c = Frontend.check(example.source());
        assertThat(c.diagnostics()).as(c.format()).isEmpty();
        assertThat(c.succeeded()).isTrue();
    }

    @Test
    void s1CountsCallsAndReadsTheReturnValue() {
        CheckedScript s = checked(TalkScripts.S1);
        List<Script.Probe> probes = s.script().probes();
        assertThat(probes).hasSize(2);
        assertThat(point(probes.get(0), 0).components()).containsExactly(c("process", "loop"), c("function", "f"));
        assertThat(point(probes.get(1), 0).components())
                .containsExactly(c("process", "loop"), c("function", "main"), c("return", null));
        assertThat(probes.get(1).points().get(0).isReturn()).isTrue();
        assertThat(global(s, "i")).extracting(VariableInfo::type, VariableInfo::array, VariableInfo::scope)
                .containsExactly(Type.LONG, false, VariableInfo.Scope.GLOBAL);
        Stmt.ExprStatement printf = (Stmt.ExprStatement) probes.get(1).body().statements().get(0);
        Expr.Call call = (Expr.Call) printf.expression();
        assertThat(call.arguments().get(2)).isEqualTo(new Expr.Target("return", List.of(), false,
                new SourceLocation("loop.stp", 6, 27)));
        assertThat(s.typeOf(call.arguments().get(2))).isEqualTo(Type.LONG);
        assertThat(s.callee(call).builtin()).isTrue();
        assertThat(probes.get(1).body().statements().get(1)).isInstanceOf(Stmt.Delete.class);
    }

    @Test
    void s2ProbesSourceLines() {
        CheckedScript s = checked(TalkScripts.S2);
        assertThat(s.script().probes()).extracting(p -> point(p, 0).toString()).containsExactly(
                "process(\"gis_server\").function(\"process_path_request\")",
                "process(\"gis_server\").statement(\"*@gis_server.cpp:72\")",
                "process(\"gis_server\").statement(\"*@gis_server.cpp:86\")",
                "process(\"gis_server\").function(\"process_path_request\").return");
        assertThat(global(s, "last_timestamp").type()).isEqualTo(Type.LONG);
        Script.Probe line72 = s.script().probes().get(1);
        assertThat(s.locals(line72)).containsOnlyKeys("d");
        assertThat(s.locals(line72).get("d")).extracting(VariableInfo::type, VariableInfo::scope)
                .containsExactly(Type.LONG, VariableInfo.Scope.LOCAL);
    }

    @Test
    void s3KeepsStatisticsPerFunction() {
        CheckedScript s = checked(TalkScripts.S3);
        assertThat(global(s, "times")).extracting(VariableInfo::type, VariableInfo::array, VariableInfo::keyTypes)
                .containsExactly(Type.STATS, true, List.of(Type.STRING));
        assertThat(global(s, "mincount").type()).isEqualTo(Type.LONG);
        assertThat(global(s, "note_percent").type()).isEqualTo(Type.LONG);
        assertThat(s.script().globals().get(1).initialiser()).isEqualTo(
                new Expr.IntLiteral(100, new SourceLocation("fntimes.stp", 2, 19)));
        assertThat(s.functions().get("check")).isEqualTo(new Signature("check", List.of(Type.LONG), Type.VOID,
                false, false, new SourceLocation("fntimes.stp", 5, 1)));
        Script.Probe probe = s.script().probes().get(0);
        assertThat(point(probe, 0).components()).containsExactly(c("process", "gis_server"),
                c("function", "*@gis_server.cpp"), c("return", null));
        Expr.Call check = (Expr.Call) ((Stmt.ExprStatement) probe.body().statements().get(0)).expression();
        Expr.Binary minus = (Expr.Binary) check.arguments().get(0);
        assertThat(minus.op()).isEqualTo(Expr.BinaryOp.SUB);
        assertThat(minus.right()).isInstanceOf(Expr.Entry.class);
        assertThat(s.callee(check).builtin()).isFalse();
    }

    @Test
    void s4TracesCallsAndReturnsOfEveryFunction() {
        CheckedScript s = checked(TalkScripts.S4);
        assertThat(s.script().probes()).extracting(p -> point(p, 0).components()).containsExactly(
                List.of(c("process", "ls"), c("function", "*"), c("call", null)),
                List.of(c("process", "ls"), c("function", "*"), c("return", null)));
        assertThat(s.globals()).isEmpty();
    }

    @Test
    void s5AndS6ReadTheStackAndParameters() {
        CheckedScript s5 = checked(TalkScripts.S5);
        assertThat(point(s5.script().probes().get(0), 0).components())
                .containsExactly(c("process", "man_state"), c("function", "ManProcessor::setState"));
        CheckedScript s6 = checked(TalkScripts.S6);
        Expr.Call printf = (Expr.Call) ((Stmt.ExprStatement) s6.script().probes().get(0).body().statements().get(0))
                .expression();
        Expr.Call userString = (Expr.Call) printf.arguments().get(1);
        assertThat(userString.arguments()).singleElement().isInstanceOf(Expr.Target.class);
        assertThat(((Expr.Target) userString.arguments().get(0)).name()).isEqualTo("line");
        assertThat(s6.typeOf(userString)).isEqualTo(Type.STRING);
    }

    @Test
    void s7CountsSamplesPerThreadAndCore() {
        CheckedScript s = checked(TalkScripts.S7);
        assertThat(s.script().probes()).extracting(p -> point(p, 0).toString()).containsExactly("timer.profile", "end");
        for (String name : List.of("cores", "core0", "core1", "core2", "core3")) {
            assertThat(global(s, name)).as(name).extracting(VariableInfo::type, VariableInfo::keyTypes)
                    .containsExactly(Type.LONG, List.of(Type.LONG));
        }
        assertThat(global(s, "names").type()).isEqualTo(Type.STRING);
        assertThat(global(s, "tasks").type()).isEqualTo(Type.STRING);
        assertThat(s.functions().get("percent").returnType()).isEqualTo(Type.STRING);
        Script.Probe profile = s.script().probes().get(0);
        assertThat(s.locals(profile).get("tid")).extracting(VariableInfo::type, VariableInfo::scope)
                .containsExactly(Type.LONG, VariableInfo.Scope.LOCAL);
        Stmt.Foreach loop = (Stmt.Foreach) s.script().probes().get(1).body().statements().get(1);
        assertThat(loop.keyVariables()).containsExactly("t");
        assertThat(loop.array()).isEqualTo("names");
        assertThat(loop.sorted()).isFalse();
        assertThat(s.variable(loop).orElseThrow().name()).isEqualTo("names");
    }

    @Test
    void s8MeasuresLockContention() {
        CheckedScript s = checked(TalkScripts.S8);
        assertThat(global(s, "lock_names")).extracting(VariableInfo::type, VariableInfo::keyTypes)
                .containsExactly(Type.STRING, List.of(Type.LONG));
        assertThat(global(s, "lock_waits")).extracting(VariableInfo::type, VariableInfo::keyTypes)
                .containsExactly(Type.STATS, List.of(Type.LONG));
        List<Script.Probe> probes = s.script().probes();
        assertThat(point(probes.get(1), 0).components())
                .containsExactly(c("syscall", null), c("futex", null), c("return", null));
        Expr.Assign uaddr = (Expr.Assign) ((Stmt.ExprStatement) probes.get(0).body().statements().get(0)).expression();
        assertThat(uaddr.value()).isEqualTo(new Expr.Target("mutex", List.of("__data", "__lock"), true,
                new SourceLocation("futex.stp", 4, 13)));
        Stmt.ExprStatement accumulate = (Stmt.ExprStatement) probes.get(1).body().statements().get(2);
        assertThat(accumulate.expression()).isInstanceOf(Expr.Accumulate.class);
        assertThat(s.locals(probes.get(1)).get("elapsed").type()).isEqualTo(Type.LONG);
    }

    @Test
    void s9GuruModeIsRefusedAtTheEmbeddedC() {
        Compilation c = Frontend.check(TalkScripts.S9.source());
        assertThat(c.succeeded()).isFalse();
        assertThat(c.failedPass()).isEqualTo(Frontend.PARSE);
        assertThat(c.diagnostics()).singleElement().satisfies(d -> {
            assertThat(d.severity()).isEqualTo(Severity.ERROR);
            assertThat(d.location()).isEqualTo(new SourceLocation("sys_write.stp", 1, 31));
            assertThat(d.message()).isEqualTo(
                    "embedded C is refused: no script may write to a traced process or load code into the kernel");
        });
    }
}
