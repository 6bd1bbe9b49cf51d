package org.fleettap.agent.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.agent.compiler.CompiledScript;
import org.fleettap.agent.compiler.ScriptCompiler;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.script.Compilation;
import org.fleettap.agent.script.Frontend;
import org.fleettap.agent.script.Source;
import org.fleettap.agent.session.Session;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.OutputLine;
import org.junit.jupiter.api.Test;

/** A script run on the loop fixture, exported every 20 ms: the batches add up to exactly what happened. */
class ExporterTest {

    @Test
    void batchesAddUpToEveryCallNumberedAndWindowedWithoutGaps() throws Exception {
        Path loop = Fixtures.path("loop");
        String text = "global calls, sizes, byname, pairs, label = \"x\"\n"
                + "probe begin { println(\"started\") }\n"
                + "probe process(\"" + loop + "\").function(\"f\") {\n"
                + "  calls++; sizes <<< 3; byname[\"f\"] += 2; pairs[7, \"k\"] <<< -1\n}\n"
                + "probe end { printf(\"%d calls\", calls) }\n";
        Compilation c = Frontend.check(new Source("export.stp", text));
        assertThat(c.succeeded()).as(c.format()).isTrue();
        Target target = Target.command(List.of(loop.toString(), "10000"));
        List<Batch> batches = new ArrayList<>();
        long[] clock = {1_000_000_000L};
        OutputLines lines = new OutputLines();
        CompiledScript compiled = ScriptCompiler.compile(c.script().orElseThrow(), ProbeResolver.forTarget(target),
                lines.stream());
        Exporter exporter = new Exporter("host-a", "s-1", compiled.export(), lines, batches::add,
                () -> clock[0] += 1000, () -> 0);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Session s = new Session(compiled.plan(), new PrintStream(err, true, StandardCharsets.UTF_8), 0);
        compiled.bind(s);
        exporter.attach(s, Duration.ofMillis(20));
        s.run(target, Duration.ofSeconds(60), () -> false);
        exporter.finish();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();

        assertThat(batches).isNotEmpty();
        for (int i = 0; i < batches.size(); i++) {
            Batch b = batches.get(i);
            assertThat(b.getHostId()).isEqualTo("host-a");
            assertThat(b.getSessionId()).isEqualTo("s-1");
            assertThat(b.getSequence()).isEqualTo(i + 1);
            assertThat(b.getFinalBatch()).isEqualTo(i == batches.size() - 1);
            assertThat(b.getWindowEndUnixNanos()).isGreaterThanOrEqualTo(b.getWindowStartUnixNanos());
            if (i > 0) {
                assertThat(b.getWindowStartUnixNanos()).isEqualTo(batches.get(i - 1).getWindowEndUnixNanos());
            }
        }
        Map<String, MergeableAggregate> merged = new HashMap<>();
        List<String> printed = new ArrayList<>();
        for (Batch b : batches) {
            for (AggregateDelta d : b.getAggregatesList()) {
                String key = d.getName() + d.getKeyList().stream().map(k -> k.hasStringValue() ? k.getStringValue()
                        : Long.toString(k.getIntValue())).toList();
                merged.computeIfAbsent(key, k -> new MergeableAggregate())
                        .merge(MergeableAggregate.fromProto(d.getAggregate()));
            }
            b.getOutputList().stream().map(OutputLine::getText).forEach(printed::add);
        }
        assertThat(merged.keySet()).containsExactlyInAnyOrder("calls[]", "sizes[]", "byname[f]", "pairs[7, k]");
        assertThat(merged.get("calls[]").sum()).isEqualTo(10000);
        assertThat(merged.get("byname[f]").sum()).isEqualTo(20000);
        assertThat(merged.get("sizes[]").count()).isEqualTo(10000);
        assertThat(merged.get("sizes[]").sum()).isEqualTo(30000);
        assertThat(merged.get("sizes[]").min()).isEqualTo(3);
        assertThat(merged.get("sizes[]").max()).isEqualTo(3);
        assertThat(merged.get("pairs[7, k]").count()).isEqualTo(10000);
        assertThat(merged.get("pairs[7, k]").sum()).isEqualTo(-10000);
        assertThat(printed).containsExactly("started", "10000 calls");
    }

    /**
     * Records in flight when a batch is cut (counted by the kernel, not read yet) are not losses: each batch's
     * records_lost is what was lost since the last one, never negative, and calls + losses = every call.
     */
    @Test
    void lossesAreMonotonicAndAddUpWithTheCallsToEveryCall() throws Exception {
        Path loop = Fixtures.path("loop");
        String text = "global calls\nprobe process(\"" + loop + "\").function(\"f\") { calls++ }\n";
        Compilation c = Frontend.check(new Source("lost.stp", text));
        assertThat(c.succeeded()).as(c.format()).isTrue();
        Target target = Target.command(List.of(loop.toString(), "100000"));
        OutputLines lines = new OutputLines();
        CompiledScript compiled = ScriptCompiler.compile(c.script().orElseThrow(), ProbeResolver.forTarget(target),
                lines.stream());
        Session s = new Session(compiled.plan(), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8), 0);
        compiled.bind(s);
        List<Batch> batches = new ArrayList<>();
        Exporter exporter = new Exporter("host-a", "s-2", compiled.export(), lines, batches::add,
                System::nanoTime, () -> {
                    try {
                        return s.lost();
                    } catch (org.fleettap.agent.probe.ProbeException e) {
                        throw new IllegalStateException(e);
                    }
                });
        exporter.attach(s, Duration.ofMillis(5));
        s.run(target, Duration.ofSeconds(120), () -> false);
        exporter.finish();

        long calls = 0;
        long lost = 0;
        for (Batch b : batches) {
            assertThat(b.getLosses().getRecordsLost()).as("batch %d", b.getSequence()).isBetween(0L, 100000L);
            lost += b.getLosses().getRecordsLost();
            for (AggregateDelta d : b.getAggregatesList()) {
                calls += MergeableAggregate.fromProto(d.getAggregate()).sum();
            }
        }
        assertThat(batches.size()).isGreaterThan(2);
        assertThat(lost).isEqualTo(s.lost());
        assertThat(calls + lost).isEqualTo(100000);
    }
}
