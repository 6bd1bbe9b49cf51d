package org.fleettap.agent.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.fleettap.agent.probe.ProbePointParser;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.probe.ProbeSite;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** A session runs hand-written handlers (what the script compiler will produce) on real events. */
class SessionTest {

    @Test
    void theTalksFirstExampleWithHandlers() throws Exception {
        Path loop = Fixtures.path("loop");
        Target target = Target.command(List.of(loop.toString()));
        ProbeResolver r = ProbeResolver.forTarget(target);
        List<ProbeSite> sites = new ArrayList<>(r.resolve(ProbePointParser.parse("process(\"" + loop + "\").function(\"f\")")));
        sites.add(r.withReturnValue((org.fleettap.agent.probe.UprobeSite) r.resolve(
                ProbePointParser.parse("process(\"" + loop + "\").function(\"main\").return")).get(0)));
        long[] i = {0};
        List<String> out = new ArrayList<>();
        List<String> order = new ArrayList<>();
        long[] times = {0, 0};
        Plan plan = new Plan(sites,
                List.of(ctx -> i[0]++, ctx -> {
                    out.add(i[0] + " vs " + ctx.field("retval") + ", pid " + (ctx.pid() == ctx.tid()
                            ? "main thread" : "?") + ", " + ctx.execname());
                    times[1] = ctx.realtimeNanos();
                }),
                List.of(ctx -> {
                    order.add("begin");
                    times[0] = ctx.realtimeNanos();
                }),
                List.of(ctx -> order.add("end")), List.of(), Set.of());
        Session s = new Session(plan, System.err, 0);
        int errors = s.run(target, null, () -> false);
        assertThat(errors).isZero();
        assertThat(out).containsExactly("10000 vs 10000, pid main thread, loop");
        assertThat(order).containsExactly("begin", "end");
        // Event times are wall-clock nanoseconds, after begin and within a minute of it.
        assertThat(times[1]).isGreaterThan(times[0]).isLessThan(times[0] + 60_000_000_000L);
    }

    @Test
    void timersFireAndExitEndsTheSessionThroughTheEndProbes() throws Exception {
        int[] ticks = {0};
        List<String> order = new ArrayList<>();
        Session[] session = new Session[1];
        Plan plan = new Plan(List.of(), List.of(), List.of(), List.of(ctx -> order.add("end after " + ticks[0])),
                List.of(new Plan.Timer("timer.ms(20)", 20_000_000L, ctx -> {
                    if (++ticks[0] == 3) {
                        session[0].exit();
                    }
                })), Set.of());
        session[0] = new Session(plan, System.err, 0);
        session[0].run(Target.all(), java.time.Duration.ofSeconds(30), () -> false);
        assertThat(order).containsExactly("end after 3");
    }

    @Test
    void handlerErrorsNameTheProbeAndStopAfterMaxErrors() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int[] runs = {0};
        Plan plan = new Plan(List.of(), List.of(), List.of(), List.of(),
                List.of(new Plan.Timer("timer.ms(5)", 5_000_000L, ctx -> {
                    runs[0]++;
                    throw new HandlerException("division by zero");
                })), Set.of());
        int errors = new Session(plan, new PrintStream(err, true, StandardCharsets.UTF_8), 2)
                .run(Target.all(), java.time.Duration.ofSeconds(30), () -> false);
        assertThat(errors).isEqualTo(3);
        assertThat(runs[0]).isEqualTo(3);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(
                "ERROR: division by zero near probe timer.ms(5)\n".repeat(3)
                + "fleettap: 3 errors (MAXERRORS 2): stopping the session\n");
    }
}
