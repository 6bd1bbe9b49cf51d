package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Malformed fleet command lines: one line on stderr, nothing on stdout, exit status 2, no stack trace. */
@Timeout(60)
class FleetCommandLineTest {
    /** Nothing listens here: a test that reached the collector would fail with exit status 1, not 2. */
    private static final String NOWHERE = "127.0.0.1:1";

    @TempDir
    Path dir;

    private static void assertUsageError(String message, String command, String... args) {
        try (Capture c = Capture.install()) {
            int exit = Capture.fleettap(args);
            assertThat(c.stdout()).isEmpty();
            assertThat(c.stderr()).isEqualTo("fleettap: " + message + " (see 'fleettap " + command + " --help')\n");
            assertThat(exit).isEqualTo(2);
        }
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
        "--collector collector           | Invalid value for option '--collector': 'collector' is not HOST:PORT",
        "--collector h:99999             | Invalid value for option '--collector': 'h:99999' is not HOST:PORT (port '99999' is not a number in 1..65535)",
        "--collector h:1 --labels zone   | Invalid value for option '--labels': 'zone' is not KEY=VALUE",
        "--collector h:1 --labels a=1 --labels a=2 | Invalid value for option '--labels': label a is given twice ('1' and '2')",
        "--collector h:1 --labels a=     | Invalid value for option '--labels': 'a=': label a has no value",
        "--collector h:1 --kafka-topic t | --kafka-topic needs --kafka",
        "--collector h:1 --kafka broker  | Invalid value for option '--kafka': 'broker' is not HOST:PORT",
        "--collector h:1 --kafka b:9092,  | Invalid value for option '--kafka': '' is not HOST:PORT",
        "--collector h:1 --kafka b:9092 --kafka-topic a/b | Invalid value for option '--kafka-topic': 'a/b' is not a valid Kafka topic name",
        "--labels a=b                    | Missing required option: '--collector=HOST:PORT'",
    })
    void agentFlags(String args, String message) {
        assertUsageError(message, "agent", ("agent " + args).split(" "));
    }

    @Test
    void anAgentHostIdWithBlanksOrTooLong() {
        assertUsageError("Invalid value for option '--host-id': ' x' is empty or has blanks around it", "agent",
                "agent", "--collector", NOWHERE, "--host-id", " x");
        assertUsageError("Invalid value for option '--host-id': longer than 253 bytes", "agent",
                "agent", "--collector", NOWHERE, "--host-id", "h".repeat(254));
    }

    @Test
    void anAgentDirectoryThatCannotBeCreated() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "");
        assertUsageError("Invalid value for option '--spool': cannot create directory " + file.resolve("spool")
                + " (Not a directory)", "agent", "agent", "--collector", NOWHERE, "--spool",
                file.resolve("spool").toString());
        assertUsageError("Invalid value for option '--state': cannot create directory " + file.resolve("s")
                + " (Not a directory)", "agent", "agent", "--collector", NOWHERE, "--spool",
                dir.resolve("spool").toString(), "--state", file.resolve("s").toString());
    }

    @Test
    void theAgentsDirectoriesDefaultToTheSystemOrTheUsersStateHome() {
        assertThat(AgentCommand.stateHome(0, Map.of("XDG_STATE_HOME", "/x"), "/root"))
                .isEqualTo(Path.of("/var/lib/fleettap"));
        assertThat(AgentCommand.stateHome(1000, Map.of("XDG_STATE_HOME", "/x/state"), "/home/u"))
                .isEqualTo(Path.of("/x/state/fleettap"));
        assertThat(AgentCommand.stateHome(1000, Map.of(), "/home/u"))
                .isEqualTo(Path.of("/home/u/.local/state/fleettap"));
        // The XDG spec ignores relative paths.
        assertThat(AgentCommand.stateHome(1000, Map.of("XDG_STATE_HOME", "rel"), "/home/u"))
                .isEqualTo(Path.of("/home/u/.local/state/fleettap"));
    }

    @Test
    void localRunsStoreInTheUsersDataHomeByDefault() {
        assertThat(UserDirs.defaultData(Map.of("XDG_DATA_HOME", "/x/data"), "/home/u"))
                .isEqualTo(Path.of("/x/data/fleettap"));
        assertThat(UserDirs.defaultData(Map.of(), "/home/u")).isEqualTo(Path.of("/home/u/.local/share/fleettap"));
        // The XDG spec ignores relative paths.
        assertThat(UserDirs.defaultData(Map.of("XDG_DATA_HOME", "rel"), "/root"))
                .isEqualTo(Path.of("/root/.local/share/fleettap"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
        "--collector nowhere -e x               | Invalid value for option '--collector': 'nowhere' is not HOST:PORT",
        "--collector h:1 --hosts zone -e x      | Invalid value for option '--hosts': 'zone' is neither KEY=VALUE nor host:NAME",
        "--collector h:1 --hosts a=1,a=2 -e x   | Invalid value for option '--hosts': label a is given twice ('1' and '2')",
        "--hosts a=1 -e x                       | --hosts needs --collector",
        "--no-store --interval 1s -e x          | --interval cannot be used with --no-store",
        "--no-store --data d -e x               | --data cannot be used with --no-store",
        "--collector h:1 --data d -e x          | --data cannot be used with --collector (the collector stores the results)",
        "--collector h:1 --no-store -e x        | --no-store cannot be used with --collector (the collector stores the results)",
        "--collector h:1 -c ./loop -e x         | -c cannot be used with --collector (the agents probe their own hosts, with their own limits)",
        "--collector h:1 -x 1 -e x              | -x cannot be used with --collector (the agents probe their own hosts, with their own limits)",
        "--collector h:1 -D MAXACTION=5 -e x    | -D cannot be used with --collector (the agents probe their own hosts, with their own limits)",
    })
    void runFlags(String args, String message) {
        assertUsageError(message, "run", ("run " + args).split(" "));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
        "--collector h:1 --data d --session s x      | --data and --collector cannot be used together",
        "--data d --session s x --follow             | --follow needs --collector (a local store gets nothing new while it is read: a run holds it while it runs)",
        "--collector h:1 x                           | Missing required option: '--session=ID'",
        "--collector h:1 --session s                 | Missing required parameter: 'NAME'",
        "--collector h:1 --session s x --by cpu      | Invalid value for option '--by': 'cpu' is not host, key, host,key or none",
        "--collector h:1 --session s x --top 3 --order p95 | Invalid value for option '--order': 'p95' is not count, sum, min, max, avg, p50, p90 or p99",
        "--collector h:1 --session s x --order max   | --order needs --top",
        "--collector h:1 --session s x --top 0       | Invalid value for option '--top': 0 is not 1 or more",
        "--collector h:1 --session s x --follow --top 3 | --follow cannot be used with --from, --to or --top",
        "--collector h:1 --session s x --from yesterday | Invalid value for option '--from': 'yesterday' is not a time (expected RFC 3339, e.g. 2024-05-01T12:00:00Z, or relative to now, e.g. -5m, -2h)",
        "--collector h:1 --session s x --from 2024-05-01T12:00:00Z --to 2024-05-01T11:00:00Z | --from 2024-05-01T12:00:00Z is not before --to 2024-05-01T11:00:00Z",
        "--collector h:1 --session s x -o yaml       | Invalid value for option '-o': 'yaml' is not an output format (table, json or csv)",
    })
    void queryFlags(String args, String message) {
        assertUsageError(message, "query", ("query " + args).split(" "));
    }

    @Test
    void hostsAndSessionsFlags() {
        assertUsageError("--data and --collector cannot be used together", "hosts", "hosts", "--data", "d",
                "--collector", NOWHERE);
        assertUsageError("--data and --collector cannot be used together", "sessions", "sessions", "--data", "d",
                "--collector", NOWHERE);
        assertUsageError("Invalid value for option '--hosts': empty item in selector 'a=1,'", "hosts", "hosts",
                "--collector", NOWHERE, "--hosts", "a=1,");
        assertUsageError("Invalid value for option '-o': 'xml' is not an output format (table, json or csv)",
                "sessions", "sessions", "--collector", NOWHERE, "-o", "xml");
    }

    @Test
    void anUnreachableCollectorIsOneLineWithExitStatusOne() {
        for (String[] args : new String[][] {{"hosts", "--collector", NOWHERE}, {"sessions", "--collector", NOWHERE},
            {"query", "--collector", NOWHERE, "--session", "s", "x"},
            {"run", "--collector", NOWHERE, "-e", "probe begin { exit() }"}}) {
            try (Capture c = Capture.install()) {
                int exit = Capture.fleettap(args);
                assertThat(c.stdout()).isEmpty();
                assertThat(c.stderr()).isEqualTo("fleettap: cannot reach the collector at 127.0.0.1:1 "
                        + "(Connection refused)\n");
                assertThat(exit).as(String.join(" ", args)).isEqualTo(1);
            }
        }
    }
}
