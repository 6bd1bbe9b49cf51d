package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet commands as the jar runs them: errors, exit statuses, and the agent daemon's life in a process. */
class FleetCommandsIT {
    @TempDir
    Path dir;

    @Test
    void malformedFleetCommandLinesAreOneLineWithExitStatusTwo() {
        Fleettap.Result agent = Fleettap.run("agent", "--collector", "collector");
        assertThat(agent.exit()).isEqualTo(2);
        assertThat(agent.stdout()).isEmpty();
        assertThat(agent.stderr()).isEqualTo("fleettap: Invalid value for option '--collector': 'collector' is not "
                + "HOST:PORT (see 'fleettap agent --help')\n");
        Fleettap.Result run = Fleettap.run("run", "--collector", "h:1", "--hosts", "zone", "-e", "probe begin {}");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.stderr()).isEqualTo("fleettap: Invalid value for option '--hosts': 'zone' is neither "
                + "KEY=VALUE nor host:NAME (see 'fleettap run --help')\n");
    }

    @Test
    void anUnreachableCollectorIsOneLineWithExitStatusOne() {
        Fleettap.Result r = Fleettap.run("hosts", "--collector", "127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).isEqualTo(Fleettap.INSECURE_WARNING + "127.0.0.1:1 can start sessions on its agents and "
                + "read what they record\nfleettap: cannot reach the collector at 127.0.0.1:1 (Connection refused)\n");
    }

    @Test
    void theAgentLogsItsLifeAndExitsZeroOnSigterm() throws Exception {
        File out = dir.resolve("out").toFile();
        File err = dir.resolve("err").toFile();
        Process p = Fleettap.start(out, err, "agent", "--collector", "127.0.0.1:1", "--host-id", "it-agent",
                "--labels", "role=it", "--spool", dir.resolve("spool").toString(), "--state",
                dir.resolve("state").toString());
        try {
            // While the collector is away the agent keeps trying, and says so.
            Fleettap.waitFor(() -> Fleettap.read(err).contains("registering with the collector at 127.0.0.1:1 "
                    + "failed"), "the agent's first attempt");
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the agent stopped").isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).isZero();
        assertThat(Fleettap.read(out)).isEmpty();
        assertThat(Fleettap.read(err)).contains("[INFO] AgentDaemon - agent it-agent starting: collector "
                + "127.0.0.1:1, labels {role=it}")
                .contains("[INFO] AgentCommand - stopped: 0 batches submitted, 0 acknowledged, 0 left in the spool, "
                        + "0 dropped")
                .doesNotContain("Exception");
        assertThat(dir.resolve("spool").resolve("lock")).exists();
    }
}
