package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fleettap agent --policy FILE}: a wrong policy stops the agent at start, with one line and status 2. */
class AgentPolicyOptionTest {

    @Test
    void aWrongPolicyGivenAsAFlagStopsTheAgentAtStart(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "binaries: [/usr/sbin/mydb]\nusers: [app2x]\n");
        try (Capture c = Capture.install()) {
            assertThat(Main.run(Map.of(), "agent", "--collector", "127.0.0.1:1", "--state", dir.resolve("state")
                    .toString(), "--spool", dir.resolve("spool").toString(), "--policy", policy.toString()))
                    .isEqualTo(2);
            assertThat(c.stdout()).isEmpty();
            assertThat(c.stderr()).isEqualTo("fleettap: policy: " + policy + ":2:9: users: no user 'app2x' on this "
                    + "host (see 'fleettap agent --help')\n");
        }
    }

    @Test
    void thePolicyIsAlsoASettingOfTheEnvironmentAndTheConfigFile(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "max_events_per_second: lots\n");
        String[] args = {"agent", "--collector", "127.0.0.1:1", "--state", dir.resolve("state").toString(), "--spool",
                dir.resolve("spool").toString()};
        String expected = "fleettap: policy: " + policy + ":1:24: max_events_per_second: expected a whole number "
                + "above 0, not 'lots' (see 'fleettap agent --help')\n";
        try (Capture c = Capture.install()) {
            assertThat(Main.run(Map.of("FLEETTAP_POLICY", policy.toString()), args)).isEqualTo(2);
            assertThat(c.stderr()).isEqualTo(expected);
        }
        Path config = Files.writeString(dir.resolve("agent.yaml"), "policy: " + policy + "\n");
        try (Capture c = Capture.install()) {
            String[] withConfig = java.util.Arrays.copyOf(args, args.length + 2);
            withConfig[args.length] = "--config";
            withConfig[args.length + 1] = config.toString();
            assertThat(Main.run(Map.of(), withConfig)).isEqualTo(2);
            assertThat(c.stderr()).isEqualTo(expected);
        }
    }
}
