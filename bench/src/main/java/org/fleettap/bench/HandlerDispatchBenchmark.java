package org.fleettap.bench;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import org.fleettap.agent.compiler.CompiledScript;
import org.fleettap.agent.compiler.ScriptCompiler;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.script.Compilation;
import org.fleettap.agent.script.Frontend;
import org.fleettap.agent.script.Source;
import org.fleettap.agent.session.EventContext;
import org.fleettap.agent.session.Handler;
import org.fleettap.agent.target.Target;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Handler dispatch: the compiled body of a probe run once per event, as the session runs it. Goals (issue 4):
 * {@code { i++ }} at 5 million events/s or more on one core, {@code a[tid()] <<< x} at 2 million/s or more.
 * The handlers come from the real front end and compiler (timer probes, so no kernel is involved).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HandlerDispatchBenchmark {
    private Handler increment;
    private Handler aggregate;
    private EventContext ctx;

    private static Handler compile(String text) throws Exception {
        Compilation c = Frontend.check(new Source("bench.stp", text));
        if (!c.succeeded()) {
            throw new IllegalStateException(c.format());
        }
        CompiledScript compiled = ScriptCompiler.compile(c.script().orElseThrow(),
                ProbeResolver.forTarget(Target.all()), new PrintStream(OutputStream.nullOutputStream()));
        return compiled.plan().timers().get(0).handler();
    }

    @Setup
    public void setup() throws Exception {
        increment = compile("global i\nprobe timer.s(1000) { i++ }\nprobe end { printf(\"%d\\n\", i) }\n");
        aggregate = compile("global a\nprobe timer.s(1000) { x = tid() + 7; a[tid()] <<< x }\n"
                + "probe end { foreach (t in a) printf(\"%d\\n\", @count(a[t])) }\n");
        ctx = EventContext.detached();
    }

    @Benchmark
    public void incrementGlobal() throws Exception {
        increment.handle(ctx);
    }

    @Benchmark
    public void aggregateByTid() throws Exception {
        aggregate.handle(ctx);
    }
}
