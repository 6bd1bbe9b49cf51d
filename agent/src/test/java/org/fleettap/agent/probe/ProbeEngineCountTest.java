package org.fleettap.agent.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fleettap.agent.perf.RecordType;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.target.TargetException;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.agent.testing.Oracles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Kernel counters on every kind of target: a command from exec, a running process, every process. */
class ProbeEngineCountTest {

    private static String fn(Path bin, String name) {
        return "process(\"" + bin + "\").function(\"" + name + "\")";
    }

    @Test
    void countsEveryCallOfTheTalksLoopFromExec() throws Exception {
        Path loop = Fixtures.path("loop");
        Target target = Target.command(List.of(loop.toString()));
        try (ProbeEngine engine = ProbeEngine.attach(Sites.resolve(target, fn(loop, "f"), fn(loop, "f") + ".return",
                fn(loop, "main")), target, ProbeEngine.Mode.COUNT)) {
            engine.start();
            int status = engine.command().orElseThrow().waitFor();
            assertThat(status).isEqualTo(10000 & 0xff);
            assertThat(engine.hits(0)).isEqualTo(10000);
            assertThat(engine.hits(1)).isEqualTo(10000);
            assertThat(engine.hits(2)).isEqualTo(1);
        }
    }

    /** PIE, non-PIE and a shared library: fleettap's count equals perf stat's on the same uprobe. */
    @ParameterizedTest(name = "{0} in {1}")
    @CsvSource({"f, loop, loop, 12345", "f, loop-nopie, loop-nopie, 12345", "f, loop-O2, loop-O2, 12345",
            "lib_add, libfixturelib.so, uselib, 4321", "lib_touch, libfixturelib.so, uselib, 4321"})
    void countsAgreeWithPerfStat(String function, String binary, String program, String n) throws Exception {
        Path bin = Fixtures.path(binary);
        Path prog = Fixtures.path(program);
        long expected = function.equals("lib_touch") ? (Long.parseLong(n) + 1) / 2 : Long.parseLong(n);
        Target target = Target.command(prog + " " + n + " > /dev/null");
        long ours;
        try (ProbeEngine engine = ProbeEngine.attach(Sites.resolve(target, fn(bin, function)), target,
                ProbeEngine.Mode.COUNT)) {
            engine.start();
            engine.command().orElseThrow().waitFor();
            ours = engine.hits(0);
        }
        long perfStat = Oracles.perfStatUprobeCount(bin, function, prog.toString(), n);
        assertThat(ours).isEqualTo(expected);
        assertThat(perfStat).isEqualTo(expected);
    }

    @Test
    void pidTargetCoversExistingThreadsAndThreadsStartedLater() throws Exception {
        Path waitloop = Fixtures.path("waitloop");
        Process p = new ProcessBuilder(waitloop.toString(), "5000", "2", "3")
                .start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8)); OutputStream in = p.getOutputStream()) {
            assertThat(out.readLine()).isEqualTo("ready");
            Target target = Target.pid((int) p.pid());
            try (ProbeEngine engine = ProbeEngine.attach(Sites.resolve(target, "process.function(\"f\")"), target,
                    ProbeEngine.Mode.COUNT)) {
                in.write("go\n".getBytes(StandardCharsets.UTF_8));
                in.flush();
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(out.readLine()).isEqualTo("calls=30000");
                // main + 2 threads that existed at attach + 3 started after it, 5000 calls each.
                assertThat(engine.hits(0)).isEqualTo(30000);
            }
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void pidTargetSampledThroughPerCpuBuffers() throws Exception {
        Path waitloop = Fixtures.path("waitloop");
        Process p = new ProcessBuilder(waitloop.toString(), "3000", "1", "2").start();
        long[] samples = {0};
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8)); OutputStream in = p.getOutputStream()) {
            assertThat(out.readLine()).isEqualTo("ready");
            Target target = Target.pid((int) p.pid());
            try (ProbeEngine engine = ProbeEngine.attach(Sites.resolve(target, "process.function(\"f\")"), target,
                    ProbeEngine.Mode.SAMPLE)) {
                in.write("go\n".getBytes(StandardCharsets.UTF_8));
                in.flush();
                while (p.isAlive()) {
                    engine.poll(50, r -> samples[0] += r.type() == RecordType.SAMPLE ? 1 : 0);
                }
                engine.drain(r -> samples[0] += r.type() == RecordType.SAMPLE ? 1 : 0);
                assertThat(engine.counters().lost()).isZero();
            }
        } finally {
            p.destroyForcibly();
        }
        assertThat(samples[0]).isEqualTo(3000 * 4);
    }

    @Test
    void everyProcessTargetCountsALibraryFunctionInEachProcessThatRunsIt(@TempDir Path dir) throws Exception {
        // A private copy of the library, so that only the processes this test starts map its inode.
        Path lib = Files.copy(Fixtures.path("libfixturelib.so"), dir.resolve("libfixturelib.so"));
        Path prog = Files.copy(Fixtures.path("uselib"), dir.resolve("uselib"), StandardCopyOption.COPY_ATTRIBUTES);
        Target target = Target.all();
        try (ProbeEngine engine = ProbeEngine.attach(Sites.resolve(target, fn(lib, "lib_add"), fn(lib, "lib_touch")),
                target, ProbeEngine.Mode.COUNT)) {
            engine.start();
            assertThat(Fixtures.run(prog.toString(), "300")).isEqualTo("sum=44850\n");
            assertThat(Fixtures.run(prog.toString(), "301")).isEqualTo("sum=45150\n");
            assertThat(engine.hits(0)).isEqualTo(601);
            assertThat(engine.hits(1)).isEqualTo(150 + 151);
        }
    }

    @Test
    void closingLeavesNoPerfEventAndNoTracefsEvent() throws Exception {
        Path usdt = Fixtures.path("usdt");
        long before = openPerfEvents();
        Target target = Target.command(usdt + " 10 > /dev/null");
        List<ProbeSite> sites = Sites.resolve(target, "process(\"" + usdt + "\").mark(\"*\")", fn(usdt, "main"),
                "syscall.write");
        List<String> dynamic;
        try (ProbeEngine engine = ProbeEngine.attach(sites, target, ProbeEngine.Mode.SAMPLE)) {
            dynamic = engine.dynamicEventNames();
            // four marks and main: a command target is followed through forks, which the uprobe PMU cannot do
            assertThat(dynamic).hasSize(5);
            assertThat(uprobeEvents()).contains(dynamic.get(0));
            assertThat(openPerfEvents()).isGreaterThan(before);
            engine.start();
            engine.command().orElseThrow().waitFor();
        }
        assertThat(openPerfEvents()).isEqualTo(before);
        for (String name : dynamic) {
            assertThat(uprobeEvents()).doesNotContain(name);
        }
    }

    @Test
    void aCommandThatDoesNotExistIsRefusedBeforeAnythingIsAttached() throws Exception {
        long before = openPerfEvents();
        Path loop = Fixtures.path("loop");
        assertThatThrownBy(() -> ProbeEngine.attach(Sites.resolve(Target.all(), fn(loop, "f")),
                Target.command("/no/such/command arg"), ProbeEngine.Mode.COUNT))
                .isInstanceOf(TargetException.class)
                .hasMessage("command not found: /no/such/command");
        assertThat(openPerfEvents()).isEqualTo(before);
    }

    static long openPerfEvents() throws IOException {
        long n = 0;
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals("anon_inode:[perf_event]")) {
                        n++;
                    }
                } catch (IOException e) {
                    // The fd closed while listing.
                }
            }
        }
        return n;
    }

    static String uprobeEvents() throws IOException {
        return Files.readString(Path.of("/sys/kernel/tracing/uprobe_events"));
    }
}
