package org.fleettap.agent.compiler;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.script.Compilation;
import org.fleettap.agent.script.Frontend;
import org.fleettap.agent.script.Source;
import org.fleettap.agent.session.Session;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** Probe kinds and builtins that need the kernel's help: parameters, stacks, syscalls, profiling. */
class TargetProbesTest {

    private static String run(String text, Target target) throws Exception {
        Compilation c = Frontend.check(new Source("test.stp", text));
        assertThat(c.succeeded()).as(c.format()).isTrue();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompiledScript compiled = ScriptCompiler.compile(c.script().orElseThrow(), ProbeResolver.forTarget(target),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        Session s = new Session(compiled.plan(), new PrintStream(err, true, StandardCharsets.UTF_8), 0);
        compiled.bind(s);
        s.run(target, Duration.ofSeconds(60), () -> false);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void stringParametersByDwarfName() throws Exception {
        Path lines = Fixtures.path("lines");
        String out = run("probe process(\"" + lines + "\").function(\"parse\") {\n"
                + "  printf(\"%s %d\\n\", user_string($text), $max)\n}\n", Target.command(List.of(lines.toString())));
        assertThat(out.lines().distinct().toList()).containsExactly("1,2,3,4,5, 64");
    }

    @Test
    void callersFromTheUserStack(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path state = Fixtures.path("state");
        Path man = java.nio.file.Files.writeString(dir.resolve("man.txt"),
                "LS(1)\n\nNAME\n       ls - list\n\nOPTIONS\n       -a, --all\n\n");
        String out = run("global callers\n"
                + "probe process(\"" + state + "\").function(\"ManProcessor::setState\") {\n"
                + "  callers[usymname(ustack(1))]++\n}\n"
                + "probe end { foreach (c in callers) printf(\"%s %d\\n\", c, callers[c]) }\n",
                Target.command("'" + state + "' < '" + man + "' > /dev/null"));
        // State changes: Idle->Chapter, NAME, blank, OPTIONS, final blank (see DebugInfoProbesTest).
        assertThat(out).isEqualTo("IdleState::process(ManProcessor&, char const*) 1\n"
                + "ChapterState::process(ManProcessor&, char const*) 2\n"
                + "ParagraphState::process(ManProcessor&, char const*) 2\n");
    }

    @Test
    void syscallFieldsAndExecname() throws Exception {
        Path loop = Fixtures.path("loop");
        String out = run("probe syscall.exit_group {\n"
                + "  if (execname() == \"loop\") printf(\"%s %d\\n\", execname(), $error_code)\n}\n",
                Target.command(List.of(loop.toString())));
        assertThat(out).isEqualTo("loop 10000\n");
    }

    @Test
    void profileTimerSamplesRunningThreads() throws Exception {
        Path spin = Fixtures.path("spin");
        String out = run("global n\n"
                + "probe timer.profile { if (execname() == \"spin\") n++ }\n"
                + "probe end { printf(\"%s\\n\", n > 0 ? \"sampled\" : \"nothing\") }\n",
                Target.command(List.of(spin.toString(), "300")));
        assertThat(out).isEqualTo("sampled\n");
    }

    @Test
    void callGraphWithThreadIndent() throws Exception {
        Path loop = Fixtures.path("loop");
        String out = run("probe process(\"" + loop + "\").function(\"f\").call { printf(\"%s-> %s\\n\", "
                + "thread_indent(1), probefunc()) }\n"
                + "probe process(\"" + loop + "\").function(\"f\").return { printf(\"%s<- %s\\n\", "
                + "thread_indent(-1), ppfunc()) }\n",
                Target.command(List.of(loop.toString(), "2")));
        List<String> lines = out.lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).matches(" *\\d+ loop\\(\\d+\\):-> f");
        assertThat(lines.get(1)).matches(" *\\d+ loop\\(\\d+\\):<- f");
    }

    @Test
    void entryValuesOfASyscallReturn() throws Exception {
        Path usdt = Fixtures.path("usdt");
        String out = run("probe syscall.write.return {\n"
                + "  if (execname() == \"usdt\") printf(\"%d %d\\n\", @entry($count), $return)\n}\n",
                Target.command("'" + usdt + "' 3 > /dev/null"));
        assertThat(out).isEqualTo("18 18\n");
    }
}
