package org.fleettap.agent.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.fleettap.agent.feature.KernelFeatures;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.agent.testing.Oracles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProbeResolverTest {
    private final ProbeResolver resolver = ProbeResolver.forTarget(Target.all());

    private List<ProbeSite> resolve(String point) throws Exception {
        return resolver.resolve(ProbePointParser.parse(point));
    }

    @Test
    void globExpandsToEveryMatchingFunctionAtReadelfsOffsets() throws Exception {
        Path many = Fixtures.path("many");
        List<ProbeSite> sites = resolve("process(\"" + many + "\").function(\"fn_00*\")");
        assertThat(sites).hasSize(100);
        for (ProbeSite s : sites) {
            UprobeSite u = (UprobeSite) s;
            String name = u.name().substring("function(\"".length(), u.name().length() - 2);
            assertThat(name).startsWith("fn_00");
            assertThat(u.fileOffset()).as(name).isEqualTo(Oracles.functionFileOffset(many, name));
            assertThat(u.retprobe()).isFalse();
        }
        assertThat(resolve("process(\"" + many + "\").function(\"fn_*\").return")).hasSize(1000)
                .allMatch(s -> ((UprobeSite) s).retprobe());
    }

    @Test
    void marksResolveToNoteOffsetsAndSemaphores() throws Exception {
        Path usdt = Fixtures.path("usdt");
        UprobeSite tick = (UprobeSite) resolve("process(\"" + usdt + "\").mark(\"tick\")").get(0);
        assertThat(tick.name()).isEqualTo("mark(\"fixture:tick\")");
        assertThat(tick.refCtrOffset()).isZero();
        assertThat(tick.markArgs()).extracting(a -> a.text()).containsExactly("-8@-16(%rbp)", "-4@$5", "-4@%eax");
        UprobeSite guarded = (UprobeSite) resolve("process(\"" + usdt + "\").mark(\"fixture:guarded\")").get(0);
        long semaphoreVaddr = Oracles.symbolValue(usdt, "fixture_guarded_semaphore");
        assertThat(guarded.refCtrOffset()).isEqualTo(Oracles.vaddrFileOffset(usdt, semaphoreVaddr));
        assertThat(resolve("process(\"" + usdt + "\").mark(\"*\")")).extracting(s -> ((UprobeSite) s).name())
                .containsExactly("mark(\"fixture:tick\")", "mark(\"fixture:done\")", "mark(\"fixture:guarded\")",
                        "mark(\"fixture:globals\")");
    }

    /**
     * A bare library name is the file running processes map: libc.so.6 is where ldd (the dynamic linker) finds
     * the C library for /bin/sh, and its pthread_mutex_init is at readelf's offset.
     */
    @Test
    void aBareLibraryNameIsTheFileRunningProcessesMap() throws Exception {
        Process ldd = new ProcessBuilder("ldd", "/bin/sh").redirectErrorStream(true).start();
        String out = new String(ldd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(ldd.waitFor()).isZero();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("libc\\.so\\.6 => (\\S+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        Path libc = Path.of(m.group(1)).toRealPath();
        UprobeSite init = (UprobeSite) resolve("process(\"libc.so.6\").function(\"pthread_mutex_init\")").get(0);
        assertThat(init.binary()).isEqualTo(libc);
        // readelf names the default version of the symbol pthread_mutex_init@@GLIBC_x.y
        java.util.regex.Matcher v = java.util.regex.Pattern.compile("pthread_mutex_init@@\\S+")
                .matcher(org.fleettap.agent.testing.Fixtures.run("readelf", "-sW", libc.toString()));
        assertThat(v.find()).isTrue();
        assertThat(init.fileOffset()).isEqualTo(Oracles.functionFileOffset(libc, v.group()));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "process(\"@LOOP@\").function(\"fx\") | no function matches 'fx' in @LOOP@ (did you mean: f",
        "process(\"@BIN2@\").mark(\"tock\") | no USDT mark matches 'tock' in @BIN2@ (did you mean: tick?)",
        "process(\"@LOOP@\").mark(\"tick\") | no USDT mark matches 'tick' in @LOOP@ (it has no .note.stapsdt section)",
        "process(\"@LOOP@\").function(\"f\").entry | unexpected '.entry' (expected .call or .return)",
        "process(\"@LOOP@\").statement(\"*@loop.c:6\") | no code at loop.c:6; nearest line",
        "process(\"/no/such/binary\").function(\"f\") | /no/such/binary: no such file",
        "process(\"/tmp\").function(\"f\") | /tmp: is a directory, not an ELF file",
        "process(\"no-such-program-anywhere\").function(\"f\") | no such program in $PATH",
        "process.function(\"f\") | a bare 'process' needs a target (-c CMD or -x PID)",
        "syscall.futx | no system call 'futx' (no tracepoint syscalls:sys_enter_futx) (did you mean: futex",
        "kernel.trace(\"sched_switch\") | must be written SYSTEM:EVENT",
        "timer.ms(100) | timer.ms is a script timer",
        "foo.bar | unknown kind 'foo' (expected process, kernel, syscall or timer)",
    })
    void badPointsAreOneLineErrors(String point, String message) {
        String loop = Fixtures.path("loop").toString();
        String usdt = Fixtures.path("usdt").toString();
        assertThatThrownBy(() -> resolve(point.replace("@LOOP@", loop).replace("@BIN2@", usdt)))
                .isInstanceOf(ProbeException.class)
                .hasMessageContaining(message.replace("@LOOP@", loop).replace("@BIN2@", usdt))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void syscallsAndTracepointsResolveToTracefsEvents() throws Exception {
        assertThat(resolve("syscall.futex")).containsExactly(new TracepointSite(
                ProbePointParser.parse("syscall.futex"), "syscalls", "sys_enter_futex"));
        assertThat(((TracepointSite) resolve("syscall.futex.return").get(0)).event()).isEqualTo("sys_exit_futex");
        assertThat(((TracepointSite) resolve("kernel.trace(\"sched:sched_switch\")").get(0)).system())
                .isEqualTo("sched");
        assertThat(resolve("timer.profile")).containsExactly(new CpuClockSite(
                ProbePointParser.parse("timer.profile"), 4_000_000));
    }

    @Test
    void kernelFunctionNamesTheMissingKprobesFeature() throws Exception {
        // This kernel is built without CONFIG_KPROBES; where the kernel has the kprobe PMU, the point resolves.
        if (KernelFeatures.system().hasKprobes()) {
            assertThat(resolve("kernel.function(\"do_sys_open\").return")).containsExactly(new KprobeSite(
                    ProbePointParser.parse("kernel.function(\"do_sys_open\").return"), "do_sys_open", true));
            return;
        }
        assertThatThrownBy(() -> resolve("kernel.function(\"do_sys_open\")"))
                .isInstanceOf(MissingFeatureException.class)
                .hasMessageStartingWith("kprobes (CONFIG_KPROBES) is not available on this kernel")
                .extracting(e -> ((MissingFeatureException) e).feature()).isEqualTo("kprobes (CONFIG_KPROBES)");
    }
}
