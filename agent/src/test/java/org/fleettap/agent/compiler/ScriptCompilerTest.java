package org.fleettap.agent.compiler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.runtime.HistogramSpec;
import org.fleettap.agent.runtime.Stat;
import org.fleettap.agent.script.Compilation;
import org.fleettap.agent.script.Diagnostic;
import org.fleettap.agent.script.Frontend;
import org.fleettap.agent.script.Source;
import org.fleettap.agent.session.Session;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** Scripts compiled from source and run in a real session on the fixtures. */
class ScriptCompilerTest {

    private static ScriptRuns.Run run(String text, Target target) throws Exception {
        return ScriptRuns.run(text, target);
    }

    private static ScriptRuns.Run begin(String text) throws Exception {
        return ScriptRuns.run(text, Target.all());
    }

    private static CompileException compileError(String text) {
        return ScriptRuns.compileError("bad.stp", text, Target.all());
    }

    @Test
    void theTalksFirstExampleFromItsSourceText() throws Exception {
        Path loop = Fixtures.path("loop");
        Path example = Paths.get("..", "examples", "loop.stp");
        String text = Files.exists(example) ? Files.readString(example)
                : "global i\nprobe process(\"loop\").function(\"f\") { i++ }\n"
                        + "probe process(\"loop\").function(\"main\").return {\n"
                        + "  printf(\"%d vs %d\\n\", i, $return);\n  delete i;\n}\n";
        text = text.replace("process(\"loop\")", "process(\"" + loop + "\")");
        ScriptRuns.Run r = run(text, Target.command(List.of(loop.toString())));
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("10000 vs 10000\n");
    }

    @Test
    void scriptArgumentsAsNumbersAndStrings() throws Exception {
        Compilation c = Frontend.check(new Source("args.stp",
                "probe begin {\n  printf(\"%d %s\\n\", $1 * 2, @2)\n  exit()\n}\n"));
        assertThat(c.succeeded()).as(c.format()).isTrue();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompiledScript compiled = ScriptCompiler.compile(c.script().orElseThrow(),
                ProbeResolver.forTarget(Target.all()), new PrintStream(out, true, StandardCharsets.UTF_8),
                List.of("21", "hi"));
        Session s = new Session(compiled.plan(), System.err, 0);
        compiled.bind(s);
        s.run(Target.all(), Duration.ofSeconds(30), () -> false);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("42 hi\n");
        CompileException missing = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> ScriptCompiler.compile(c.script().orElseThrow(), ProbeResolver.forTarget(Target.all()),
                        System.out, List.of("21")), CompileException.class);
        assertThat(missing.diagnostics().get(0).message()).isEqualTo("command line argument index 2 out of range [1-1]");
        assertThat(missing.diagnostics().get(0).location().line()).isEqualTo(2);
    }

    @Test
    void backtraces() throws Exception {
        Path loop = Fixtures.path("loop");
        ScriptRuns.Run r = run("probe process(\"" + loop + "\").function(\"f\") {\n"
                + "  if (++n > 1) next\n"
                + "  printf(\"%d\\n\", strlen(ubacktrace()) > 0)\n"
                + "  print_ubacktrace()\n}\nglobal n\n",
                Target.command(List.of(loop.toString(), "3")));
        assertThat(r.err()).isEmpty();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("1");
        assertThat(lines.get(1)).matches(" 0x[0-9a-f]+ : f\\+0x0 \\[" + java.util.regex.Pattern.quote(loop.toString())
                + "\\]");
        assertThat(lines.get(2)).matches(" 0x[0-9a-f]+ : main\\+0x[0-9a-f]+ \\[" + java.util.regex.Pattern.quote(loop.toString())
                + "\\]");
    }

    @Test
    void targetIsThePidOfTheCommand() throws Exception {
        Path loop = Fixtures.path("loop");
        ScriptRuns.Run r = run("probe process(\"" + loop + "\").function(\"main\") {\n"
                + "  printf(\"%d %d\\n\", target() == pid(), target() > 0)\n}\n",
                Target.command(List.of(loop.toString(), "3")));
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("1 1\n");
    }

    @Test
    void languageCoreInBegin() throws Exception {
        ScriptRuns.Run r = begin("""
                global total = 5, name = "x", a, words
                function fib(n) { if (n < 2) return n; return fib(n - 1) + fib(n - 2) }
                function greet:string(who:string) { return "hi " . who }
                probe begin {
                  for (i = 0; i < 10; i++) { if (i == 7) break; if (i % 2) continue; total += i }
                  j = 0
                  while (1) { j++; if (j >= 3) break }
                  a[1, "one"] = 10; a[2, "two"] = 20; a[2, "two"] += 2; a[3, "x"]--
                  delete a[3, "x"]
                  name .= "yz"
                  words["k"] = greet(name)
                  printf("%d %d %s %d %d %s\\n", total, j, name, fib(10), a[2, "two"], words["k"])
                  printf("%d %d %d %d\\n", [1, "one"] in a, [3, "x"] in a, 7 / 2, -7 % 3)
                  printf("%s|%d|%d|%s|%d\\n", j > 2 ? "yes" : "no", strlen("abc"), isinstr("hello", "ll"),
                         substr("hello", 1, 3), !0 && (1 || 0))
                  println(sprintf("%5d|%-3s|", 42, "ab"), "z")
                  print(1, "two\\n")
                  exit()
                }
                """);
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("17 3 xyz 55 22 hi xyz\n1 0 3 -1\nyes|3|1|ell|1\n   42|ab |z\n1two\n"
                + "total=0x11\n".substring(0, 0));
    }

    @Test
    void beginTimerAndEndRunInOrder() throws Exception {
        ScriptRuns.Run r = begin("""
                global ticks
                probe begin { printf("begin\\n") }
                probe timer.ms(10) { ticks++; if (ticks == 3) exit() }
                probe end { printf("end after %d\\n", ticks) }
                """);
        assertThat(r.out()).isEqualTo("begin\nend after 3\n");
    }

    @Test
    void foreachSortsAndLimitsAnArrayFilledByProbeHits() throws Exception {
        Path loop = Fixtures.path("loop");
        ScriptRuns.Run r = run("global n, calls\n"
                + "probe process(\"" + loop + "\").function(\"f\") { calls[n++ % 7]++ }\n"
                + "probe end {\n"
                + "  foreach (k- in calls limit 3) printf(\"%d=%d \", k, calls[k])\n"
                + "  printf(\"|\")\n"
                + "  foreach ([k] in calls- limit 2) printf(\" %d=%d\", k, calls[k])\n"
                + "  printf(\"|\")\n"
                + "  foreach (v = [k] in calls+) { if (k == 5) continue; printf(\" %d\", v) }\n"
                + "  printf(\"\\n\")\n"
                + "}\n", Target.command(List.of(loop.toString())));
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("6=1428 5=1428 4=1428 | 0=1429 1=1429| 1428 1428 1429 1429 1429 1429\n");
    }

    @Test
    void statisticsAndALogHistogram() throws Exception {
        Path loop = Fixtures.path("loop");
        ScriptRuns.Run r = run("global s, n\n"
                + "probe process(\"" + loop + "\").function(\"f\") { s <<< n++ % 100 }\n"
                + "probe end {\n"
                + "  printf(\"%d %d %d %d %d\\n\", @count(s), @sum(s), @min(s), @max(s), @avg(s))\n"
                + "  print(@hist_log(s))\n"
                + "}\n", Target.command(List.of(loop.toString())));
        Stat expected = new Stat(HistogramSpec.log());
        for (int i = 0; i < 10000; i++) {
            expected.add(i % 100);
        }
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("10000 495000 0 99 49\n" + expected.histogramText());
    }

    @Test
    void entryValuesParametersAndReturnValues() throws Exception {
        Path loop = Fixtures.path("loop");
        ScriptRuns.Run r = run("probe process(\"" + loop + "\").function(\"main\").return {\n"
                + "  printf(\"%d %d %s\\n\", @entry($argc), $return, probefunc())\n"
                + "}\n", Target.command(List.of(loop.toString(), "250")));
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("2 250 main\n");
    }

    @Test
    void usdtArguments() throws Exception {
        Path usdt = Fixtures.path("usdt");
        ScriptRuns.Run r = run("global sum, hits\n"
                + "probe process(\"" + usdt + "\").mark(\"tick\") { sum += $arg1 + $arg2 + $arg3; hits++ }\n"
                + "probe end { printf(\"%d %d\\n\", hits, sum) }\n", Target.command(List.of(usdt.toString())));
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("100 500\n");
    }

    /** process.begin at the program's entry point, process.end once per process however many threads exit. */
    @Test
    void processBeginAndEndOncePerProcess() throws Exception {
        Path loop = Fixtures.path("loop");
        ScriptRuns.Run r = run("probe process(\"" + loop + "\").begin { printf(\"begin %s %d\\n\", execname(), pid() == target()) }\n"
                + "probe process(\"" + loop + "\").end { printf(\"end %s %d\\n\", execname(), pid() == target()) }\n",
                Target.command(List.of(loop.toString(), "5")));
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("begin loop 1\nend loop 1\n");

        Path threads = Fixtures.path("threads");
        ScriptRuns.Run t = run("global n, exits, ends, leader\nprobe process.begin { n++ }\n"
                + "probe kernel.trace(\"sched:sched_process_exit\") { exits++ }\n"
                + "probe process.end { ends++; leader = tid() == pid() }\n"
                + "probe end { printf(\"%d %d %d %d\\n\", n, exits, ends, leader) }\n",
                Target.command("'" + threads + "' 4 10 > /dev/null"));
        assertThat(t.err()).isEmpty();
        // four worker threads and main exit; the end probe runs once, at main's exit
        assertThat(t.out()).isEqualTo("1 5 1 1\n");
    }

    /** Mark arguments that are globals read RIP-relative: one in .data, one in .bss (readelf shows the operands). */
    @Test
    void usdtArgumentsInGlobalsOfDataAndBss() throws Exception {
        Path usdt = Fixtures.path("usdt");
        assertThat(Fixtures.run("readelf", "-n", usdt.toString()))
                .contains("Arguments: -4@data_global(%rip) -8@bss_global(%rip)");
        ScriptRuns.Run r = run("probe process(\"" + usdt + "\").mark(\"globals\") { printf(\"%d %d\\n\", $arg1, $arg2) }\n",
                Target.command(List.of(usdt.toString(), "4")));
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("41 0\n42 3\n43 6\n44 9\n");
    }

    @Test
    void runTimeErrorsAreStapsMessages() throws Exception {
        ScriptRuns.Run r = begin("global z\nprobe begin { printf(\"%d\\n\", 1 / z) }\n");
        assertThat(r.errors()).isEqualTo(1);
        assertThat(r.err()).contains("ERROR: division by 0 near probe begin");
    }

    @Test
    void tryCatchHandlesRunTimeErrorsAndTheProbeGoesOn() throws Exception {
        ScriptRuns.Run r = begin("global z, a[2]\nprobe begin {\n"
                + "  try { x = 1 / z; println(\"not here\") } catch (msg) { printf(\"caught: %s\\n\", msg) }\n"
                + "  try { a[1] = 1; a[2] = 2; a[3] = 3 } catch { println(\"full\") }\n"
                + "  try { println(\"fine\") } catch { println(\"not here either\") }\n"
                + "  printf(\"after %d\\n\", a[2])\n  exit()\n}\n");
        assertThat(r.out()).isEqualTo("caught: division by 0\nfull\nfine\nafter 2\n");
        assertThat(r.errors()).isZero();
        assertThat(r.err()).isEmpty();
    }

    /**
     * MAXACTION: each statement and each loop iteration is one action; a begin or end probe may run ten times
     * MAXACTION (10000 by default). A for loop of N iterations with one statement costs 1 + 2N: 5000 are
     * one too many.
     */
    @Test
    void maxActionEndsARunawayProbeAndCannotBeCaught() throws Exception {
        ScriptRuns.Run fits = begin("global n\nprobe begin { for (i = 0; i < 4998; i++) n++; printf(\"%d\\n\", n); exit() }\n");
        assertThat(fits.out()).isEqualTo("4998\n"); // 1 + 2 * 4998 + printf + exit = 9999 actions
        assertThat(fits.errors()).isZero();

        ScriptRuns.Run over = begin("global n\nprobe begin { for (i = 0; i < 5000; i++) n++; printf(\"%d\\n\", n) }\n");
        assertThat(over.out()).isEmpty(); // the printf never ran
        assertThat(over.errors()).isEqualTo(1);
        assertThat(over.err()).contains("ERROR: MAXACTION exceeded near probe begin");

        ScriptRuns.Run loop = begin("probe begin { try { while (1) { } } catch { println(\"caught\") } }\n");
        assertThat(loop.out()).isEmpty();
        assertThat(loop.err()).contains("ERROR: MAXACTION exceeded near probe begin");
    }

    @Test
    void unreadGlobalsAreDisplayedAtTheEnd() throws Exception {
        ScriptRuns.Run r = begin("global count, label, st\nprobe begin { count = 10000; label = \"abc\"; st <<< 4; exit() }\n");
        assertThat(r.out()).isEqualTo("count=0x2710\nlabel=\"abc\"\nst @count=1 @min=4 @max=4 @sum=4 @avg=4\n");
    }

    @Test
    void anUnsupportedFeatureIsAnErrorAtItsLocation() {
        CompileException e = compileError("probe begin {\n  printf(\"%d\\n\", uint_arg(1))\n}\n");
        Diagnostic d = e.diagnostics().get(0);
        assertThat(d.message()).startsWith("uint_arg() reads the registers at a function's entry");
        assertThat(d.location().line()).isEqualTo(2);
        assertThat(d.location().column()).isEqualTo(18);
    }

    @Test
    void aProbePointThatDoesNotResolveIsAnErrorAtThePoint() {
        Path loop = Fixtures.path("loop");
        CompileException e = compileError("global i\n\nprobe   process(\"" + loop + "\").function(\"nosuch\") { i++ }\n");
        Diagnostic d = e.diagnostics().get(0);
        assertThat(d.location().line()).isEqualTo(3);
        assertThat(d.location().column()).isEqualTo(9);
        assertThat(d.message()).contains("nosuch");
    }
}
