package org.fleettap.agent.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.fleettap.agent.perf.PerfRecord;
import org.fleettap.agent.perf.RecordType;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.agent.tracefs.TracepointFormat;
import org.junit.jupiter.api.Test;

/** Every hit as a record through the per-CPU ring buffers, merged in time order. */
class ProbeEngineSampleTest {

    /** Runs the command to its end, handing every sample to {@code onSample}. */
    private static void runToEnd(ProbeEngine engine, java.util.function.Consumer<PerfRecord> onSample)
            throws Exception {
        engine.start();
        var cmd = engine.command().orElseThrow();
        while (cmd.isAlive()) {
            engine.poll(50, r -> {
                if (r.type() == RecordType.SAMPLE) {
                    onSample.accept(r);
                }
            });
        }
        engine.drain(r -> {
            if (r.type() == RecordType.SAMPLE) {
                onSample.accept(r);
            }
        });
    }

    @Test
    void entryAndReturnSamplesMatchCallsInTimeOrder() throws Exception {
        Path loop = Fixtures.path("loop");
        Target target = Target.command(List.of(loop.toString(), "20000"));
        List<ProbeSite> sites = Sites.resolve(target, "process(\"" + loop + "\").function(\"f\")",
                "process(\"" + loop + "\").function(\"f\").return");
        long[] hits = new long[2];
        long[] lastTime = {Long.MIN_VALUE};
        long[] outOfOrder = {0};
        int[] pidSeen = {0};
        try (ProbeEngine engine = ProbeEngine.attach(sites, target, ProbeEngine.Mode.SAMPLE)) {
            int pid = engine.command().orElseThrow().pid();
            runToEnd(engine, r -> {
                hits[r.cookie()]++;
                if (r.time() < lastTime[0]) {
                    outOfOrder[0]++;
                }
                lastTime[0] = r.time();
                if (r.pid() == pid) {
                    pidSeen[0]++;
                }
            });
            assertThat(engine.counters().lost()).isZero();
        }
        assertThat(hits).containsExactly(20000, 20000);
        assertThat(outOfOrder[0]).isZero();
        assertThat(pidSeen[0]).isEqualTo(40000);
    }

    /**
     * A comm filter on a system-wide tracepoint: the kernel makes records only for tasks of that name. Three runs of
     * a copy of true named ft-match and two of true: the filtered site sees exactly the three ft-match exits, the
     * same tracepoint unfiltered sees those and the others.
     */
    @Test
    void aCommFilterKeepsOnlyTheNamedTasksHits(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path match = dir.resolve("ft-match");
        java.nio.file.Files.copy(Path.of("/bin/true"), match);
        match.toFile().setExecutable(true);
        List<ProbeSite> sites = Sites.resolve(Target.all(), "syscall.exit_group", "syscall.exit_group");
        ProbeEngine.Options options = ProbeEngine.Options.of(ProbeEngine.Mode.SAMPLE)
                .withCommFilters(java.util.Map.of(0, "ft-match"));
        Set<Integer> matched = new HashSet<>();
        Set<Integer> others = new HashSet<>();
        List<Integer> filtered = new ArrayList<>();
        Set<Integer> unfiltered = new HashSet<>();
        try (ProbeEngine engine = ProbeEngine.attach(sites, Target.all(), options)) {
            engine.start();
            for (int i = 0; i < 5; i++) {
                Process p = new ProcessBuilder(i % 2 == 0 ? match.toString() : "/bin/true").start();
                (i % 2 == 0 ? matched : others).add((int) p.pid());
                assertThat(p.waitFor()).isZero();
            }
            org.fleettap.agent.perf.RecordConsumer each = r -> {
                if (r.type() == RecordType.SAMPLE) {
                    (r.cookie() == 0 ? filtered : new ArrayList<Integer>()).add(r.pid());
                    if (r.cookie() == 1) {
                        unfiltered.add(r.pid());
                    }
                }
            };
            engine.poll(200, each);
            engine.drain(each);
        }
        assertThat(filtered).containsExactlyInAnyOrderElementsOf(matched);
        assertThat(unfiltered).containsAll(matched).containsAll(others);
    }

    @Test
    void usdtArgumentsDecodeToTheValuesTheFixturePassed() throws Exception {
        Path usdt = Fixtures.path("usdt");
        Target target = Target.command(List.of(usdt.toString(), "50"));
        List<ProbeSite> sites = Sites.resolve(target, "process(\"" + usdt + "\").mark(\"tick\")",
                "process(\"" + usdt + "\").mark(\"done\")");
        List<long[]> ticks = new ArrayList<>();
        List<long[]> done = new ArrayList<>();
        try (ProbeEngine engine = ProbeEngine.attach(sites, target, ProbeEngine.Mode.SAMPLE)) {
            runToEnd(engine, r -> {
                UprobeSite site = (UprobeSite) engine.sites().get(r.cookie());
                TracepointFormat f = engine.format(r.cookie());
                long[] v = UsdtArguments.decode(site, f, r.buffer(), r.rawOffset());
                (r.cookie() == 0 ? ticks : done).add(v);
            });
        }
        assertThat(ticks).hasSize(50);
        for (int i = 0; i < 50; i++) {
            // DTRACE_PROBE3(fixture, tick, i, 5, global_value) with global_value = -i
            assertThat(ticks.get(i)).containsExactly(i, 5, -i);
        }
        assertThat(done).hasSize(1);
        assertThat(done.get(0)).containsExactly(50);
    }

    @Test
    void semaphoreGuardedMarkIsEnabledOnlyWhileAttached() throws Exception {
        Path usdt = Fixtures.path("usdt");
        assertThat(Fixtures.run(usdt.toString(), "20")).isEqualTo("guarded_enabled=0\n");
        Path out = java.nio.file.Files.createTempFile("usdt", ".out");
        Target target = Target.command("'" + usdt + "' 20 > '" + out + "'");
        List<ProbeSite> sites = Sites.resolve(target, "process(\"" + usdt + "\").mark(\"guarded\")");
        List<long[]> seen = new ArrayList<>();
        try (ProbeEngine engine = ProbeEngine.attach(sites, target, ProbeEngine.Mode.SAMPLE)) {
            runToEnd(engine, r -> seen.add(UsdtArguments.decode((UprobeSite) engine.sites().get(0),
                    engine.format(0), r.buffer(), r.rawOffset())));
        }
        assertThat(java.nio.file.Files.readString(out)).isEqualTo("guarded_enabled=20\n");
        assertThat(seen).hasSize(20);
        assertThat(seen.get(7)).containsExactly(7, 14);
        assertThat(Fixtures.run(usdt.toString(), "20")).isEqualTo("guarded_enabled=0\n");
        java.nio.file.Files.delete(out);
    }

    @Test
    void futexTracepointFieldsAreDecoded() throws Exception {
        Path threads = Fixtures.path("threads");
        Path out = java.nio.file.Files.createTempFile("threads", ".out");
        Target target = Target.command("'" + threads + "' 4 2000 > '" + out + "'");
        List<ProbeSite> sites = Sites.resolve(target, "syscall.futex");
        List<long[]> calls = new ArrayList<>();
        Set<Integer> cpus = new HashSet<>();
        long[] lastTime = {Long.MIN_VALUE};
        long[] outOfOrder = {0};
        try (ProbeEngine engine = ProbeEngine.attach(sites, target, ProbeEngine.Mode.SAMPLE)) {
            TracepointFormat f = engine.format(0);
            runToEnd(engine, r -> {
                calls.add(new long[] {
                    f.requireField("uaddr").readLong(r.buffer(), r.rawOffset()),
                    f.requireField("op").readLong(r.buffer(), r.rawOffset())});
                cpus.add(r.cpu());
                outOfOrder[0] += r.time() < lastTime[0] ? 1 : 0;
                lastTime[0] = r.time();
            });
            assertThat(engine.hits(0)).isEqualTo(calls.size());
        }
        // Four threads on every CPU, merged from the per-CPU buffers into one time order.
        assertThat(cpus).hasSize(org.fleettap.agent.target.Tasks.onlineCpus().size());
        assertThat(outOfOrder[0]).isZero();
        String printed = java.nio.file.Files.readString(out).strip();
        long mutex = Long.decode(printed.substring("mutex=".length()));
        long onMutex = calls.stream().filter(c -> c[0] == mutex).count();
        assertThat(onMutex).isPositive();
        // glibc waits with FUTEX_WAIT_PRIVATE (128) or FUTEX_WAIT_BITSET_PRIVATE and wakes with FUTEX_WAKE_PRIVATE.
        Set<Long> ops = new HashSet<>();
        calls.stream().filter(c -> c[0] == mutex).forEach(c -> ops.add(c[1] & 0x7f));
        assertThat(ops).contains(1L).isSubsetOf(0L, 1L, 9L);
        java.nio.file.Files.delete(out);
    }

    @Test
    void cpuClockSamplesArriveFromEveryCpu() throws Exception {
        Path spin = Fixtures.path("spin");
        Target target = Target.command(List.of(spin.toString(), "600"));
        List<ProbeSite> sites = Sites.resolve(target, "timer.profile");
        Set<Integer> cpus = new HashSet<>();
        long[] n = {0};
        try (ProbeEngine engine = ProbeEngine.attach(sites, target, ProbeEngine.Mode.SAMPLE)) {
            runToEnd(engine, r -> {
                cpus.add(r.cpu());
                n[0]++;
            });
        }
        assertThat(cpus).containsExactlyInAnyOrderElementsOf(org.fleettap.agent.target.Tasks.onlineCpus());
        assertThat(n[0]).isGreaterThanOrEqualTo(100);
    }

    @Test
    void aFullBufferLosesEventsThatAreCountedNotHidden() throws Exception {
        Path loop = Fixtures.path("loop");
        Target target = Target.command(List.of(loop.toString(), "100000"));
        List<ProbeSite> sites = Sites.resolve(target, "process(\"" + loop + "\").function(\"f\")");
        long[] samples = {0};
        // One 4 KiB data page per CPU and nobody reading until the program ends: most hits cannot fit.
        var options = new ProbeEngine.Options(ProbeEngine.Mode.SAMPLE, 1, 0, Set.of(), 8192);
        try (ProbeEngine engine = ProbeEngine.attach(sites, target, options)) {
            engine.start();
            engine.command().orElseThrow().waitFor();
            engine.drain(r -> samples[0] += r.type() == RecordType.SAMPLE ? 1 : 0);
            assertThat(engine.hits(0)).isEqualTo(100000);
            assertThat(samples[0]).isPositive().isLessThan(100000);
            assertThat(engine.delivered(0)).isEqualTo(samples[0]);
            assertThat(engine.missed()).isEqualTo(100000 - samples[0]);
        }
    }

    /**
     * A site that asks for the stack gets the user registers and a copy of the stack: at f's entry the IP is f
     * (per the module's load bias) and the word at SP is the return address into main.
     */
    @Test
    void stackSitesCarryRegistersAndAStackCopy() throws Exception {
        Path loop = Fixtures.path("loop");
        Target target = Target.command(List.of(loop.toString(), "5"));
        List<ProbeSite> sites = Sites.resolve(target, "process(\"" + loop + "\").function(\"f\")",
                "process(\"" + loop + "\").function(\"main\")");
        var options = ProbeEngine.Options.of(ProbeEngine.Mode.SAMPLE).withStacks(Set.of(0));
        var index = org.fleettap.agent.symbols.FunctionIndex.of(org.fleettap.agent.elf.ElfFiles.map(loop));
        long fAddr = org.fleettap.agent.testing.Oracles.symbolValue(loop, "f");
        List<String> seen = new ArrayList<>();
        var modules = new org.fleettap.agent.symbols.ModuleTracker(new org.fleettap.agent.symbols.ModuleCache());
        try (ProbeEngine engine = ProbeEngine.attach(sites, target, options)) {
            engine.start();
            var cmd = engine.command().orElseThrow();
            org.fleettap.agent.perf.RecordConsumer consumer = r -> {
                if (r.type() == RecordType.MMAP2) {
                    // The side-band records name the files the program maps, so it can be symbolized after exit.
                    modules.onMmap(r.pid(), r.addr(), r.len(), r.pgoff(), r.prot(), r.filename());
                    return;
                }
                if (r.type() != RecordType.SAMPLE) {
                    return;
                }
                if (r.cookie() == 1) {
                    assertThat(r.format().has(org.fleettap.agent.perf.SampleType.STACK_USER)).isFalse();
                    return;
                }
                long rip = r.userReg(org.fleettap.agent.perf.X86Reg.IP);
                var module = modules.find(r.pid(), rip).orElseThrow();
                assertThat(module.path()).isEqualTo(loop);
                assertThat(r.userRegCount()).isEqualTo(17);
                assertThat(r.userStackSize()).isEqualTo(8192);
                assertThat(r.userStackDynSize()).isPositive();
                long ret = r.buffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(r.userStackOffset());
                String caller = index.lookup(module.toLinkTime(ret)).orElseThrow().name();
                long ip = module.toLinkTime(rip);
                seen.add((ip == fAddr ? "f" : "0x" + Long.toHexString(ip)) + "<-" + caller);
            };
            while (cmd.isAlive()) {
                engine.poll(50, consumer);
            }
            engine.drain(consumer);
        }
        assertThat(seen).containsExactly("f<-main", "f<-main", "f<-main", "f<-main", "f<-main");
    }
}
