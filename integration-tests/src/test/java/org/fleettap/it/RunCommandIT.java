package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fleettap run}: the talk's scripts as a user runs them. */
class RunCommandIT {

    @Test
    void theTalksFirstExample() {
        Fleettap.Result r = Fleettap.run("run", "examples/loop.stp", "-c", "examples/loop");
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdout()).isEqualTo("10000 vs 10000\n");
        assertThat(r.exit()).isZero();
    }

    @Test
    void guruModeIsRefusedWithTheLocationOfTheEmbeddedC() {
        Fleettap.Result r = Fleettap.run("run", "examples/guru.stp");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).startsWith("examples/guru.stp:3:")
                .contains("error: embedded C is refused: no script may write to a traced process");
        Fleettap.Result g = Fleettap.run("run", "-g", "-e", "probe begin { exit() }");
        assertThat(g.exit()).isEqualTo(1);
        assertThat(g.stderr()).isEqualTo("fleettap: -g (guru mode) is refused: no script may write to a traced "
                + "process or load code into the kernel\n");
    }

    @Test
    void syntaxErrorsNameFileLineAndColumnWithACaret() {
        Fleettap.Result r = Fleettap.run("run", "-e", "probe begin { printf(\"%d\\n\", 1 + ) }");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        String[] lines = r.stderr().split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).startsWith("<input>:1:").contains(": error: ");
        assertThat(lines[1]).isEqualTo("probe begin { printf(\"%d\\n\", 1 + ) }");
        assertThat(lines[2].trim()).isEqualTo("^");
    }

    /** S5 + S6: who called setState (C++ names as the talk shows them after c++filt) and the input lines. */
    @Test
    void theStateMachine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path man = dir.resolve("man.txt");
        java.nio.file.Files.writeString(man, "LS(1)\n\nNAME\n       ls - list\n\nOPTIONS\n       -a, --all\n\n");
        Fleettap.Result r = Fleettap.run("run", "examples/state.stp", "-c", "examples/man_state < " + man);
        assertThat(r.stderr()).isEmpty();
        String p = "(ManProcessor&, char const*)";
        assertThat(r.stdout()).isEqualTo(". LS(1)\n| IdleState::process" + p + "\n. \n. NAME\n"
                + "| ChapterState::process" + p + "\n.        ls - list\n. \n| ParagraphState::process" + p + "\n"
                + ". OPTIONS\n| ChapterState::process" + p + "\n.        -a, --all\n. \n"
                + "| ParagraphState::process" + p + "\n");
    }

    /** S8: every lock initialised by pthread_mutex_init, named by its init site, with a stap histogram. */
    @Test
    void lockContentionByInitSite() throws Exception {
        Fleettap.Result r = Fleettap.run("run", "examples/futex.stp", "-c", "examples/futex 10");
        assertThat(r.stderr()).isEmpty();
        java.util.List<String> lines = r.stdout().lines().toList();
        java.util.regex.Pattern head = java.util.regex.Pattern.compile(
                "futex\\.c:(\\d+)\\[([0-9a-f]+)\\] lock contended (\\d+) times, (\\d+) avg us");
        java.util.List<String> sites = new java.util.ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            java.util.regex.Matcher m = head.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            sites.add(m.group(1));
            long count = Long.parseLong(m.group(3));
            assertThat(count).isPositive();
            assertThat(lines.get(i + 1)).isEqualTo("value |-------------------------------------------------- count");
            long sum = 0;
            int k = i + 2;
            for (; k < lines.size() && !lines.get(k).isEmpty(); k++) {
                // a bucket row, or stap's "~" line for an elided run of empty rows
                assertThat(lines.get(k)).matches(" *\\d+ \\|@* +\\d+| *~");
                if (!lines.get(k).trim().equals("~")) {
                    sum += Long.parseLong(lines.get(k).substring(lines.get(k).lastIndexOf(' ') + 1));
                }
            }
            // The histogram's rows add up to the lock's contention count.
            assertThat(sum).as(lines.get(i)).isEqualTo(count);
        }
        // the lines where examples/futex.c initialises its three mutexes; the static one is not listed
        assertThat(sites).containsExactlyElementsOf(initLines());
    }

    /**
     * S8 for every lock (examples/futex-all.stp): the three initialised mutexes by their init line, the static
     * one by its data symbol, and each lock's count of futex calls equal to what bpftrace counts on the same
     * tracepoint for the same address in the same run.
     */
    @Test
    void everyContendedLockIsNamedAndCountedAsBpftraceCountsIt(@TempDir Path dir) throws Exception {
        File bpftraceOut = dir.resolve("bpftrace").toFile();
        Process bpftrace = new ProcessBuilder("bpftrace", "-e", "tracepoint:syscalls:sys_enter_futex "
                + "/comm == \"futex\"/ { @[args->uaddr] = count(); }").redirectErrorStream(true)
                .redirectOutput(bpftraceOut).start();
        Fleettap.Result r;
        try {
            Fleettap.waitFor(() -> Fleettap.read(bpftraceOut).contains("Attaching 1 probe"), "bpftrace to attach");
            r = Fleettap.run("run", "examples/futex-all.stp", "-c", "examples/futex 10");
        } finally {
            new ProcessBuilder("kill", "-INT", Long.toString(bpftrace.pid())).start().waitFor();
            assertThat(bpftrace.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        Map<Long, Long> oracle = new HashMap<>();
        Matcher bt = Pattern.compile("@\\[0x([0-9a-f]+)\\]: (\\d+)").matcher(Fleettap.read(bpftraceOut));
        while (bt.find()) {
            oracle.put(Long.parseUnsignedLong(bt.group(1), 16), Long.parseLong(bt.group(2)));
        }
        assertThat(r.stderr()).isEmpty();
        Pattern line = Pattern.compile("(.+)\\[([0-9a-f]+)\\] lock contended (\\d+) times, \\d+ avg us, \\d+ max us");
        Map<Long, Long> counted = new HashMap<>();
        List<String> named = new ArrayList<>();
        for (String l : r.stdout().lines().toList()) {
            if (l.equals("done")) {
                continue; // the fixture's own output
            }
            Matcher m = line.matcher(l);
            assertThat(m.matches()).as(l).isTrue();
            counted.put(Long.parseUnsignedLong(m.group(2), 16), Long.parseLong(m.group(3)));
            if (!m.group(1).startsWith("0x")) {
                named.add(m.group(1));
            }
        }
        List<String> expected = new ArrayList<>(initLines().stream().map(l -> "futex.c:" + l).toList());
        expected.add("static_lock+0x0/0x28 [" + Fleettap.ROOT.resolve("examples/futex") + "]");
        assertThat(named).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(counted).isEqualTo(oracle);
    }

    /**
     * S3, the talk's training run: fntimes.stp armed for every process, gis_server run 110 times on small
     * requests, then once on a big one (100000 points: nearly a thousand times the largest training request, so that a
     * training run stalled by a busy machine cannot hide it). The functions whose time is dominated by work that grows with the request
     * are reported as in the talk — cairo_render_path, process_path_request, main — innermost first, each over
     * 2.5 times its trained maximum. parse_path grows too, but its time in a small run is dominated by one-time
     * costs (the first strtod resolves through the PLT), and spat2xy does constant work per call, so either may
     * or may not cross the line on a busy machine: their lines, if any, are checked for the rule only. A training run
     * stalled long enough after the first 100 is reported too, as the script says; the big run's reports come last.
     */
    @Test
    void functionsWellOverTheirTrainedMaximumAreReported(@TempDir Path dir) throws Exception {
        Path gis = Fleettap.ROOT.resolve("examples/gis_server");
        Path script = dir.resolve("fntimes.stp");
        Files.writeString(script, Files.readString(Fleettap.ROOT.resolve("examples/fntimes.stp"))
                .replace("process(\"gis_server\")", "process(\"" + gis + "\")"));
        File out = dir.resolve("out").toFile();
        File err = dir.resolve("err").toFile();
        Process p = Fleettap.start(out, err, "run", "-v", script.toString());
        try {
            Fleettap.waitFor(() -> Fleettap.read(err).contains("attached "), "fleettap to attach");
            for (int i = 1; i <= 110; i++) {
                assertThat(new ProcessBuilder(gis.toString(), Integer.toString(i)).start().waitFor()).isZero();
            }
            assertThat(new ProcessBuilder(gis.toString(), "100000").start().waitFor()).isZero();
            Thread.sleep(500); // let the agent handle the last returns
        } finally {
            new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(p.exitValue()).isZero();
        assertThat(Fleettap.read(err)).doesNotContain("ERROR");
        Pattern report = Pattern.compile("function (\\S+) well over max time \\((\\d+) vs (\\d+)\\)");
        List<String> grown = new ArrayList<>();
        for (String l : Fleettap.read(out).lines().toList()) {
            Matcher m = report.matcher(l);
            assertThat(m.matches()).as(l).isTrue();
            assertThat(Long.parseLong(m.group(2)) * 100).as(l).isGreaterThanOrEqualTo(Long.parseLong(m.group(3)) * 250);
            if (!m.group(1).equals("spat2xy") && !m.group(1).equals("parse_path")) {
                grown.add(m.group(1));
            }
        }
        // A training run stalled by a busy machine is, by the script's own rule, a report too (checked above);
        // the big run is the last one, so its three reports are the last three.
        assertThat(grown).hasSizeGreaterThanOrEqualTo(3);
        assertThat(grown.subList(grown.size() - 3, grown.size()))
                .containsExactly("cairo_render_path", "process_path_request", "main");
    }

    /** The source lines of examples/futex.c that call pthread_mutex_init, in order (the locks' names). */
    private static List<String> initLines() throws java.io.IOException {
        List<String> source = Files.readAllLines(Fleettap.ROOT.resolve("examples/futex.c"));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < source.size(); i++) {
            if (source.get(i).trim().startsWith("pthread_mutex_init(")) {
                lines.add(Integer.toString(i + 1));
            }
        }
        assertThat(lines).hasSize(3);
        return lines;
    }
}
