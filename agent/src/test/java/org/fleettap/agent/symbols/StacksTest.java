package org.fleettap.agent.symbols;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.fleettap.agent.perf.RecordType;
import org.fleettap.agent.probe.ProbeEngine;
import org.fleettap.agent.probe.ProbePointParser;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.agent.tracefs.TracepointFormat;
import org.junit.jupiter.api.Test;

/**
 * Real samples: a stack taken inside libc's futex wait, in a program built without frame pointers, unwinds with
 * CFI through libc to the application's frames — symbolized from the MMAP2 records after the program is gone.
 */
class StacksTest {

    @Test
    void futexWaitInsideLibcUnwindsToTheApplication() throws Exception {
        Path threads = Fixtures.path("threads-nofp");
        Path out = Files.createTempFile("threads", ".out");
        Target target = Target.command("'" + threads + "' 4 500 > '" + out + "'");
        var sites = ProbeResolver.forTarget(target).resolve(ProbePointParser.parse("syscall.futex"));
        var options = ProbeEngine.Options.of(ProbeEngine.Mode.SAMPLE).withStacks(Set.of(0));
        ModuleTracker tracker = new ModuleTracker(new ModuleCache());
        Stacks stacks = new Stacks(tracker, 64);
        Symbolizer symbolizer = new Symbolizer(tracker, DebugFiles.system());
        List<List<String>> waits = new ArrayList<>();
        List<long[]> raw = new ArrayList<>();
        List<Integer> pids = new ArrayList<>();
        try (ProbeEngine engine = ProbeEngine.attach(sites, target, options)) {
            TracepointFormat f = engine.format(0);
            engine.start();
            var cmd = engine.command().orElseThrow();
            org.fleettap.agent.perf.RecordConsumer consumer = r -> {
                if (r.type() == RecordType.MMAP2) {
                    tracker.onMmap(r.pid(), r.addr(), r.len(), r.pgoff(), r.prot(), r.filename());
                } else if (r.type() == RecordType.SAMPLE
                        && (f.requireField("op").readLong(r.buffer(), r.rawOffset()) & 0x7f) == 0) {
                    raw.add(stacks.unwind(r));
                    pids.add(r.pid());
                }
            };
            while (cmd.isAlive()) {
                engine.poll(50, consumer);
            }
            engine.drain(consumer);
        }
        // Symbolized after the program has exited: the modules come from the MMAP2 records.
        for (int i = 0; i < raw.size(); i++) {
            long[] pcs = raw.get(i);
            List<String> names = new ArrayList<>();
            symbolizer.symbolize(pids.get(i), pcs, pcs.length).forEach(fr -> names.add(fr.name()));
            waits.add(names);
        }
        Files.delete(out);
        assertThat(waits).isNotEmpty();
        // Every wait on the contended mutex: libc's lock wait in pthread_mutex_lock, called from the thread
        // function of the application, started by libc's start_thread (named from libc6-dbg's build-id file).
        for (List<String> names : waits) {
            assertThat(names).as("stacks: %s", waits).startsWith("__lll_lock_wait", "___pthread_mutex_lock", "run",
                    "start_thread");
        }
    }
}
