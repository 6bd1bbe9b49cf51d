package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.fleettap.agent.feature.KernelFeatures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code fleettap run --policy FILE}: a local run held to a policy as an agent holds pushed sessions. */
@Timeout(180)
class LocalRunPolicyTest {
    private static final Path LOOP = Paths.get(System.getProperty("fleettap.fixtures", "../agent/target/fixtures"),
            "loop").toAbsolutePath().normalize();
    private static final String COUNT = "global c\nprobe process(\"" + LOOP + "\").function(\"f\") { c++ }\n"
            + "probe end { printf(\"c=%d\\n\", c) }\n";

    @TempDir
    Path dir;

    @BeforeEach
    void uprobes() {
        assumeTrue(KernelFeatures.system().hasUprobes(), "kernel lacks uprobes (CONFIG_UPROBE_EVENTS)");
    }

    /** Exit status, then the script's output (-o FILE), then stderr. */
    private String[] run(String policyText, int calls) throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), policyText);
        Path out = dir.resolve("run.out");
        try (Capture c = Capture.install()) {
            int exit = Capture.fleettap("run", "--no-store", "--policy", policy.toString(), "-o", out.toString(),
                    "-e", COUNT, "-c", LOOP + " " + calls);
            return new String[] {Integer.toString(exit), Files.exists(out) ? Files.readString(out) : "", c.stderr()};
        }
    }

    @Test
    void aBinaryThePolicyDoesNotNameIsRefused() throws Exception {
        String[] r = run("binaries: [\"/opt/app/**\"]\n", 100);
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).isEqualTo("fleettap: policy: " + dir.resolve("policy.yaml") + ":1:11: binaries does not "
                + "allow " + LOOP.toRealPath() + "\n");
    }

    @Test
    void anAllowedRunCountsEveryCall() throws Exception {
        String[] r = run("binaries: [\"" + LOOP.toRealPath() + "\"]\nmax_events_per_second: 100000000\n", 5000);
        assertThat(r).containsExactly("0", "c=5000\n", "");
    }

    @Test
    void aRunOverItsEventBudgetIsStoppedAndSaysWhy() throws Exception {
        String[] r = run("max_events_per_second: 1000\n", 300_000);
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[1]).isEqualTo("c=1000\n");
        // Hits between the stop and the detach are not handled; the kernel may count some of them as lost.
        assertThat(r[2]).matches("fleettap: stopped by policy: [0-9]+ events/s over max_events_per_second 1000\n"
                + "(fleettap: warning: [0-9]+ events lost \\(ring buffers full: the reader fell behind\\)\n)?");
    }
}
