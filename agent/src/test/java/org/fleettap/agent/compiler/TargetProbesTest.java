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

    /** The script's output; the run must report no error. */
    private static String run(String text, Target target) throws Exception {
        ScriptRuns.Run r = ScriptRuns.run(text, target);
        assertThat(r.err()).isEmpty();
        return r.out();
    }

    @Test
    void stringParametersByDwarfName() throws Exception {
        Path lines = Fixtures.path("lines");
        String out = run("probe process(\"" + lines + "\").function(\"parse\") {\n"
                + "  printf(\"%s %d\\n\", user_string($text), $max)\n}\n", Target.command(List.of(lines.toString())));
        assertThat(out.lines().distinct().toList()).containsExactly("1,2,3,4,5, 64");
    }

    /**
     * Reads through pointers in the probe (tracefs fetch args): members of a pointed-to struct, of an embedded
     * struct, a char array, addresses plus constants, raw ABI arguments, and a fault answered by user_string2.
     */
    @Test
    void membersStringsAndRawArgumentsAreReadInTheProbe() throws Exception {
        Path members = Fixtures.path("members");
        String out = run("probe process(\"" + members + "\").function(\"visit\") {\n"
                + "  printf(\"%d %d %s %s %d %s %s %d %d %d\\n\", $o->weight, $o->in->id, user_string($o->in->label),\n"
                + "         user_string($tag), $o->embedded->id, user_string($o->embedded->label), user_string($o->name),\n"
                + "         $k, uint_arg(3), int_arg(3))\n"
                + "  printf(\"%d %d %s %s %s\\n\", user_long($o), user_int(&$o->embedded->id),\n"
                + "         user_string($o->in->label + 1), user_string_n($o->name, 5), user_string2(pointer_arg(3), \"bad\"))\n"
                + "}\n", Target.command(List.of(members.toString(), "4")));
        StringBuilder want = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            String label = i % 2 == 1 ? "odd" : "even";
            want.append(100 + i).append(' ').append(3 * i).append(' ').append(label).append(" tag ").append(-i)
                    .append(" emb outer-").append(i).append(' ').append(i).append(' ').append(i).append(' ')
                    .append(i).append('\n');
            want.append(100 + i).append(' ').append(-i).append(' ').append(label.substring(1)).append(" outer bad\n");
        }
        assertThat(out).isEqualTo(want.toString());
    }

    /**
     * A buffer the function filled, read at its return through the pointer saved at entry: the agent reads it
     * from the process (which lingers) after the event; a bad address gives user_string2's fallback. A global's
     * address is named by usymdata; ppid() and uid() of the command fleettap started.
     */
    @Test
    void computedAddressesAreReadFromTheProcessAfterTheEvent() throws Exception {
        Path members = Fixtures.path("members");
        String out = run("global seen\n"
                + "probe process(\"" + members + "\").function(\"fill\").return {\n"
                + "  printf(\"%s %s\\n\", user_string(@entry($buf)), user_string2(@entry(uint_arg(2)), \"bad\"))\n}\n"
                + "probe process(\"" + members + "\").function(\"touch\") {\n"
                + "  if (!seen++) printf(\"%s %d %d\\n\", usymdata(pointer_arg(1)), ppid(), uid())\n}\n",
                Target.command(List.of(members.toString(), "3", "1500")));
        long nmSize = Long.parseLong(Fixtures.run("nm", "-S", members.toString()).lines()
                .filter(l -> l.endsWith(" counter")).findFirst().orElseThrow().split("\\s+")[1], 16);
        assertThat(out).isEqualTo("filled-20 bad\n"
                + "counter+0x0/0x" + Long.toHexString(nmSize) + " [" + members + "] " + ProcessHandle.current().pid()
                + " 0\nfilled-21 bad\nfilled-22 bad\n");
    }

    /** What cannot be read says what and why, at the expression. */
    @Test
    void impossibleReadsAreCompileErrorsNamingTheMember() throws Exception {
        Path members = Fixtures.path("members");
        String p = "probe process(\"" + members + "\").function(\"visit\") ";
        assertThat(compileError(p + "{ println($o->nosuch) }"))
                .isEqualTo("test.stp:1:" + (p.length() + 11) + ": '$o->nosuch': struct outer has no member 'nosuch'");
        assertThat(compileError(p + "{ println($k->x) }"))
                .isEqualTo("test.stp:1:" + (p.length() + 11) + ": '$k->x': $k is not a pointer (int)");
        assertThat(compileError(p + "{ println($o->embedded) }")).isEqualTo("test.stp:1:" + (p.length() + 11)
                + ": '$o->embedded' is a struct inner: read one of its members, or take its address with '&'");
        assertThat(compileError("probe begin { println(uint_arg(1)) }")).isEqualTo("test.stp:1:23: uint_arg() reads "
                + "the registers at a function's entry: use it in a process(...).function(...) probe (at a return, "
                + "save it with @entry)");
    }

    private static String compileError(String text) {
        CompileException e = ScriptRuns.compileError("test.stp", text, Target.command(List.of("true")));
        var d = e.diagnostics().get(0);
        return d.location().file() + ":" + d.location().line() + ":" + d.location().column() + ": " + d.message();
    }

    /** Runs {@code script} (its @STATE@ is the state fixture's path) while the fixture reads a small man page. */
    private static String runState(Path dir, String script) throws Exception {
        Path state = Fixtures.path("state");
        Path man = java.nio.file.Files.writeString(dir.resolve("man.txt"),
                "LS(1)\n\nNAME\n       ls - list\n\nOPTIONS\n       -a, --all\n\n");
        return run(script.replace("@STATE@", state.toString()), Target.command("'" + state + "' < '" + man
                + "' > /dev/null"));
    }

    @Test
    void callersFromTheUserStack(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String out = runState(dir, "global callers\n"
                + "probe process(\"@STATE@\").function(\"ManProcessor::setState\") {\n"
                + "  callers[usymname(ustack(1))]++\n}\n"
                + "probe end { foreach (c in callers) printf(\"%s %d\\n\", c, callers[c]) }\n");
        // State changes: Idle->Chapter, NAME, blank, OPTIONS, final blank (see DebugInfoProbesTest).
        assertThat(out).isEqualTo("IdleState::process(ManProcessor&, char const*) 1\n"
                + "ChapterState::process(ManProcessor&, char const*) 2\n"
                + "ParagraphState::process(ManProcessor&, char const*) 2\n");
    }

    /** uaddr() in a .return probe is the return address in the caller: the unwound stack's frame 1, no stack needed. */
    @Test
    void uaddrInAReturnProbeIsTheCallersReturnAddress(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String out = runState(dir, "global callers\n"
                + "probe process(\"@STATE@\").function(\"ManProcessor::setState\").return {\n"
                + "  callers[usymname(uaddr()), uaddr() == ustack(1)]++\n}\n"
                + "probe end { foreach ([c, same] in callers) printf(\"%s %d %d\\n\", c, same, callers[c, same]) }\n");
        assertThat(out).isEqualTo("IdleState::process(ManProcessor&, char const*) 1 1\n"
                + "ChapterState::process(ManProcessor&, char const*) 1 2\n"
                + "ParagraphState::process(ManProcessor&, char const*) 1 2\n");
    }

    /**
     * A probe that starts with {@code if (execname() != "NAME") next} asks the kernel to drop other tasks' hits (its
     * @entry site too); any other first statement, or a name the filter cannot hold, does not.
     */
    @Test
    void aLeadingExecnameTestBecomesACommFilter() throws Exception {
        var plan = org.fleettap.agent.compiler.ScriptCompiler.compile(org.fleettap.agent.script.Frontend.check(
                new org.fleettap.agent.script.Source("t.stp", "global w\n"
                + "probe syscall.futex.return { if (execname() != \"futex\") next; w <<< @entry(gettimeofday_us()) }\n"
                + "probe syscall.write { if (\"sh\" != execname()) { next } }\n"
                + "probe syscall.read { if (execname() != \"a*\") next }\n"
                + "probe syscall.close { w <<< 1; if (execname() != \"x\") next }\n")).script().orElseThrow(),
                ProbeResolver.forTarget(Target.all()), System.out).plan();
        assertThat(plan.sites()).extracting(s -> ((org.fleettap.agent.probe.TracepointSite) s).event())
                .containsExactly("sys_exit_futex", "sys_enter_futex", "sys_enter_write", "sys_enter_read",
                        "sys_enter_close");
        assertThat(plan.commFilters()).isEqualTo(java.util.Map.of(0, "futex", 1, "futex", 2, "sh"));
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
