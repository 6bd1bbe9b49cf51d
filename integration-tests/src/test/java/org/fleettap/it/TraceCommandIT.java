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
        assertThat(hits).hasSize(10);
        // globals reads a .data and a .bss variable (41 + i, 3i) through RIP-relative operands
        String[] expected = {"tick\") arg1=0 arg2=5 arg3=0", "guarded\") arg1=0 arg2=0", "globals\") arg1=41 arg2=0",
            "tick\") arg1=1 arg2=5 arg3=-1", "guarded\") arg1=1 arg2=2", "globals\") arg1=42 arg2=3",
            "tick\") arg1=2 arg2=5 arg3=-2", "guarded\") arg1=2 arg2=4", "globals\") arg1=43 arg2=6",
            "done\") arg1=3"};
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

    /** Parameters by their DWARF names at function entry (SysV registers; char * read as a string). */
    @Test
    void functionParametersByName() {
        String lines = Fleettap.ROOT.resolve("agent/target/fixtures/lines").toString();
        Fleettap.Result r = Fleettap.run("trace", "-c", lines + " 2",
                "process(\"" + lines + "\").function(\"parse\")",
                "process(\"" + lines + "\").function(\"render\")");
        List<String> hits = r.stdout().lines().filter(l -> l.contains(": process(")).toList();
        assertThat(hits).hasSize(4);
        for (int i = 0; i < 4; i += 2) {
            assertThat(hits.get(i)).matches(".*\\.function\\(\"parse\"\\) text=\"1,2,3,4,5,\" out=0x[0-9a-f]+ max=64");
            assertThat(hits.get(i + 1)).matches(".*\\.function\\(\"render\"\\) points=0x[0-9a-f]+ n=5 zoom=12");
        }
        String lib = Fleettap.ROOT.resolve("agent/target/fixtures/libfixturelib.so").toString();
        String uselib = Fleettap.ROOT.resolve("agent/target/fixtures/uselib").toString();
        Fleettap.Result adds = Fleettap.run("trace", "-c", uselib + " 4",
                "process(\"" + lib + "\").function(\"lib_add\")");
        // sum = lib_add(sum, i): (0,0) (0,1) (1,2) (3,3)
        assertThat(adds.stdout().lines().filter(l -> l.contains("lib_add")).map(l -> l.substring(l.indexOf(") ") + 2)))
                .containsExactly("a=0 b=0", "a=0 b=1", "a=1 b=2", "a=3 b=3");
    }
}
