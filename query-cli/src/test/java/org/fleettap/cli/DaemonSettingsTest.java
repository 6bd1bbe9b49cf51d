package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

class DaemonSettingsTest {
    private static final String FILE = "collector: c.example:7420\nhost-id: from-file\nlabels: {zone: eu-1}\n"
            + "spool-max: 64MiB\nverbose: yes\n";

    private static CommandSpec agent() {
        return new CommandLine(new Main(Map.of())).getSubcommands().get("agent").getCommandSpec();
    }

    private static List<String> merge(List<String> args, Map<String, String> env, String file) throws Exception {
        return DaemonSettings.merge(agent(), args, env, p -> {
            if (!p.toString().equals("agent.yaml")) {
                throw new NoSuchFileException(p.toString());
            }
            return file.getBytes(StandardCharsets.UTF_8);
        });
    }

    @Test
    void flagsWinThenTheEnvironmentThenTheFile() throws Exception {
        assertThat(merge(List.of("--config", "agent.yaml"), Map.of(), FILE)).containsExactly(
                "--collector", "c.example:7420", "--host-id", "from-file", "--labels", "zone=eu-1",
                "--spool-max", "64MiB", "--verbose", "--config", "agent.yaml");
        assertThat(merge(List.of("--host-id", "from-flag", "-v"), Map.of("FLEETTAP_CONFIG", "agent.yaml",
                "FLEETTAP_HOST_ID", "from-env", "FLEETTAP_SPOOL_MAX", "1MiB", "HOME", "/root"), FILE)).containsExactly(
                "--collector", "c.example:7420", "--labels", "zone=eu-1", "--spool-max", "1MiB",
                "--host-id", "from-flag", "-v");
        assertThat(merge(List.of("--collector=x:1"), Map.of(), FILE)).containsExactly("--collector=x:1");
        assertThat(merge(List.of(), Map.of("FLEETTAP_CONFIG", "agent.yaml"), "verbose: false\n")).isEmpty();
    }

    @Test
    void aBadSettingIsReportedWhereItWasWritten() {
        assertThatThrownBy(() -> merge(List.of("--config", "agent.yaml"), Map.of(), "colector: a:1\n"))
                .hasMessage("agent.yaml: unknown setting 'colector' (did you mean 'collector'?); settings are the "
                        + "long options of 'fleettap agent'");
        assertThatThrownBy(() -> merge(List.of("--config", "agent.yaml"), Map.of(), "collector: a:1\nspool-max: lots\n"))
                .hasMessage("agent.yaml:2:12: spool-max: bad size 'lots' (expected e.g. 65536, 64KiB, 256MiB, 2GiB)");
        assertThatThrownBy(() -> merge(List.of(), Map.of("FLEETTAP_COLLECTOR", "nowhere"), ""))
                .hasMessageStartingWith("FLEETTAP_COLLECTOR: collector: ");
        assertThatThrownBy(() -> merge(List.of("--config", "agent.yaml"), Map.of(), "verbose: maybe\n"))
                .hasMessage("agent.yaml:1:10: verbose: expected true or false, not 'maybe'");
        assertThatThrownBy(() -> merge(List.of("--config", "other.yaml"), Map.of(), ""))
                .hasMessage("--config other.yaml: no such file");
    }

    @Test
    void theDaemonStopsAtStartWithOneLineAndStatus2(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("collector.yaml");
        Files.writeString(file, "listen: 127.0.0.1:0\ndata: " + dir.resolve("data") + "\nkafka-group: [a, b\n");
        try (Capture c = Capture.install()) {
            assertThat(Main.run(Map.of(), "collector", "--config", file.toString())).isEqualTo(2);
            assertThat(c.stdout()).isEmpty();
            assertThat(c.stderr()).startsWith("fleettap: " + file + ":4:1: ").doesNotContain("\tat ")
                    .hasLineCount(1);
        }
    }

    @Test
    void verboseIsKnownBeforeLoggingStartsFromFlagEnvironmentOrFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("agent.yaml"), "collector: a:1\nverbose: true\n");
        assertThat(DaemonSettings.verbose(List.of("agent", "-v"), Map.of())).isTrue();
        assertThat(DaemonSettings.verbose(List.of("agent"), Map.of("FLEETTAP_VERBOSE", "yes"))).isTrue();
        assertThat(DaemonSettings.verbose(List.of("agent", "--config", file.toString()), Map.of())).isTrue();
        assertThat(DaemonSettings.verbose(List.of("agent"), Map.of("FLEETTAP_CONFIG", file.toString(),
                "FLEETTAP_VERBOSE", "false"))).isFalse();
        assertThat(DaemonSettings.verbose(List.of("agent", "--config", dir.resolve("none.yaml").toString()),
                Map.of())).isFalse();
        assertThat(DaemonSettings.verbose(List.of("agent"), Map.of())).isFalse();
    }
}
