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
import org.fleettap.agent.session.EventContext;
import org.fleettap.agent.session.Handler;
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

    @Test
    void anIntervalLargerThanTheCollectorTakesIsSplitOverBatchesOfOneWindow() throws Exception {
        // 400 keys, each with values over three decades: about 40 bytes a key, far over 4 KiB in all.
        String text = "global s, n\nprobe timer.s(1000) { n++; s[n % 40, sprintf(\"f%d\", (n / 40) % 10)] <<< n * 37 }\n";
        Compilation c = Frontend.check(new Source("split.stp", text));
        assertThat(c.succeeded()).as(c.format()).isTrue();
        OutputLines lines = new OutputLines();
        CompiledScript compiled = ScriptCompiler.compile(c.script().orElseThrow(),
                ProbeResolver.forTarget(Target.all()), lines.stream());
        List<Batch> batches = new ArrayList<>();
        long[] clock = {1_000_000_000L};
        long[] lost = {0};
        int max = 4096;
        Exporter exporter = new Exporter("host-a", "s-1", compiled.export(), lines, batches::add,
                () -> clock[0] += 1000, () -> lost[0], max);
        Handler handler = compiled.plan().timers().get(0).handler();
        EventContext ctx = EventContext.detached();
        for (int i = 0; i < 4000; i++) {
            handler.handle(ctx);
        }
        lost[0] = 5;
        exporter.flush();
        int firstInterval = batches.size();
        assertThat(firstInterval).as("4000 events over 400 keys in batches of at most %d bytes", max)
                .isGreaterThan(2);
        for (int i = 0; i < 400; i++) {
            handler.handle(ctx);
        }
        exporter.finish();

        Map<String, MergeableAggregate> merged = new HashMap<>();
        long nChange = 0;
        for (int i = 0; i < batches.size(); i++) {
            Batch b = batches.get(i);
            assertThat(b.getSerializedSize()).as("batch %d", i + 1).isLessThanOrEqualTo(max);
            assertThat(b.getSequence()).isEqualTo(i + 1);
            assertThat(b.getFinalBatch()).isEqualTo(i == batches.size() - 1);
            assertThat(b.getLosses().getRecordsLost()).as("lost events counted once").isEqualTo(i == 0 ? 5 : 0);
            Batch first = batches.get(i < firstInterval ? 0 : firstInterval);
            assertThat(b.getWindowStartUnixNanos()).isEqualTo(first.getWindowStartUnixNanos());
            assertThat(b.getWindowEndUnixNanos()).isEqualTo(first.getWindowEndUnixNanos());
            for (AggregateDelta d : b.getAggregatesList()) {
                if (d.getName().equals("n")) {
                    nChange += MergeableAggregate.fromProto(d.getAggregate()).sum();
                    continue;
                }
                String key = d.getKey(0).getIntValue() + "/" + d.getKey(1).getStringValue();
                merged.computeIfAbsent(key, k -> new MergeableAggregate())
                        .merge(MergeableAggregate.fromProto(d.getAggregate()));
            }
        }
        assertThat(batches.get(firstInterval).getWindowStartUnixNanos())
                .isEqualTo(batches.get(0).getWindowEndUnixNanos());
        assertThat(nChange).as("the number n, exported as its changes").isEqualTo(4400);
        assertThat(merged).hasSize(400);
        long count = 0;
        long sum = 0;
        for (MergeableAggregate a : merged.values()) {
            count += a.count();
            sum += a.sum();
        }
        assertThat(count).isEqualTo(4400);
        assertThat(sum).as("37 * (1 + 2 + ... + 4400)").isEqualTo(37L * 4400 * 4401 / 2);
        assertThat(merged.get("1/f0").count()).as("n = 1, 401, 801, ... 4001: n %% 40 = 1, (n / 40) %% 10 = 0")
                .isEqualTo(11);
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
