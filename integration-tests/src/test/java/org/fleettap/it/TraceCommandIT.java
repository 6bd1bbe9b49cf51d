package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code fleettap trace} and {@code count --sample}: every hit through the ring buffers, as the user sees it. */
class TraceCommandIT {
    private static final String USDT = Fleettap.ROOT.resolve("agent/target/fixtures/usdt").toString();
    private static final Pattern LINE = Pattern.compile(
            " *(\\S+) (\\d+)/(\\d+) \\[(\\d{3})\\] (\\d+)\\.(\\d{6}): (\\S+)(.*)");

    @Test
    void marksPrintTheirArgumentsInTimeOrder() {
        Fleettap.Result r = Fleettap.run("trace", "-c", USDT + " 3", "process(\"" + USDT + "\").mark(\"*\")");
        assertThat(r.exit()).isZero();
        List<String> lines = r.stdout().lines().toList();
        // The program shares stdout; its one line may come before or among the hits.
        assertThat(lines).containsOnlyOnce("guarded_enabled=3");
        List<String> hits = lines.stream().filter(l -> !l.equals("guarded_enabled=3")).toList();
        String probe = "process(\"" + USDT + "\").mark(\"fixture:";
        assertThat(hits).hasSize(7);
        String[] expected = {"tick\") arg1=0 arg2=5 arg3=0", "guarded\") arg1=0 arg2=0",
            "tick\") arg1=1 arg2=5 arg3=-1", "guarded\") arg1=1 arg2=2",
            "tick\") arg1=2 arg2=5 arg3=-2", "guarded\") arg1=2 arg2=4", "done\") arg1=3"};
        long lastMicros = -1;
        for (int i = 0; i < hits.size(); i++) {
            Matcher m = LINE.matcher(hits.get(i));
            assertThat(m.matches()).as(hits.get(i)).isTrue();
            assertThat(m.group(1)).isEqualTo("usdt");
            assertThat(m.group(2)).isEqualTo(m.group(3));
            assertThat(m.group(7) + m.group(8)).isEqualTo(probe + expected[i]);
            long micros = Long.parseLong(m.group(5)) * 1_000_000 + Long.parseLong(m.group(6));
            assertThat(micros).isGreaterThanOrEqualTo(lastMicros);
            lastMicros = micros;
        }
    }

    @Test
    void sampledCountMatchesTheKernelCount() {
        Fleettap.Result r = Fleettap.run("count", "--sample", "-c", "./examples/loop 30000",
                "process(\"./examples/loop\").function(\"f\")",
                "process(\"./examples/loop\").function(\"f\").return");
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdout()).isEqualTo("30000 process(\"./examples/loop\").function(\"f\")\n"
                + "30000 process(\"./examples/loop\").function(\"f\").return\n");
    }
}
