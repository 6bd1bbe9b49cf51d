package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fleettap.agent.feature.KernelFeatures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet over TLS, as users run it: certificates from {@code fleettap certs}, {@code fleettap collector
 * --tls-dir} and {@code fleettap agent --tls-dir} in processes of their own, the CLI with a user's --tls-dir. A run
 * counts exactly over mTLS; a plaintext client, a client that does not trust the collector's CA and an agent whose
 * certificate another CA signed are each refused with one line, the collector logs the refused agent, and the good
 * agent and the collector go on serving.
 */
@Timeout(300)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsEndToEndTest {
    private static final String HOST = "tls-host";

    /** Static: a per-class instance gets its temporary directory only after {@code @BeforeAll}. */
    @TempDir
    static Path dir;
    private Path certs;
    private Path other;
    private DaemonProcess collector;
    private DaemonProcess agent;
    private String address;

    @BeforeAll
    void start() throws Exception {
        certs = dir.resolve("certs");
        other = dir.resolve("other");
        try (Capture c = Capture.install()) {
            assertThat(Main.run("certs", "--out", certs.toString())).as(c.stderr()).isZero();
            assertThat(Main.run("certs", "--out", other.toString())).as(c.stderr()).isZero();
        }
        collector = DaemonProcess.start(dir, "collector", "collector", "--tls-dir", certs.resolve("collector")
                .toString(), "--listen", "127.0.0.1:0", "--data", dir.resolve("data").toString());
        String line = collector.firstLine();
        address = "127.0.0.1:" + line.substring(line.lastIndexOf(':') + 1);
        agent = DaemonProcess.start(dir, "agent", "agent", "--tls-dir", certs.resolve("agent").toString(),
                "--collector", address, "--host-id", HOST, "--spool", dir.resolve("spool").toString(), "--state",
                dir.resolve("state").toString());
        agent.awaitStderr("the agent connected", err -> err.contains("connected to the collector at " + address));
    }

    @AfterAll
    void stop() {
        if (agent != null) {
            agent.close();
        }
        if (collector != null) {
            collector.close();
        }
    }

    private String user() {
        return certs.resolve("user-admin").toString();
    }

    @Test
    void aRunCountsExactlyOverMutualTls() throws Exception {
        assumeTrue(KernelFeatures.system().hasUprobes(), "kernel lacks uprobes (CONFIG_UPROBE_EVENTS)");
        Path loop = Paths.get(System.getProperty("fleettap.fixtures", "../agent/target/fixtures"), "loop")
                .toAbsolutePath().normalize();
        String script = "global calls\n"
                + "probe begin { printf(\"ready\\n\") }\n"
                + "probe process(\"" + loop + "\").function(\"f\") { calls++ }\n"
                + "probe process(\"" + loop + "\").function(\"main\").return {\n"
                + "  printf(\"%d vs %d\\n\", calls, $return); exit()\n"
                + "}\n";
        try (Capture c = Capture.install()) {
            CompletableFuture<Integer> run = Capture.start("run", "--collector", address, "--tls-dir", user(),
                    "--hosts", "host:" + HOST, "--interval", "100ms", "-e", script);
            c.awaitStdout("the begin probe's line", out -> out.contains("[" + HOST + "] ready\n"));
            Process p = new ProcessBuilder(loop.toString(), "10000").inheritIO().start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(run.get(60, TimeUnit.SECONDS)).as(c.stderrWithWarnings()).isZero();
            String id = c.stdout().lines().findFirst().orElseThrow().substring("session ".length());
            assertThat(c.stdout()).isEqualTo("session " + id + "\n"
                    + "[" + HOST + "] ready\n"
                    + "[" + HOST + "] 10000 vs 10000\n"
                    + "calls=0x2710\n");
            assertThat(c.stderrWithWarnings()).isEmpty();
        }
    }

    @Test
    void aPlaintextClientIsRefusedInOneLineAndTheCollectorServesOn() throws Exception {
        try (Capture c = Capture.install()) {
            assertThat(Main.run("hosts", "--collector", address, "--insecure")).isEqualTo(1);
            assertThat(c.stdout()).isEmpty();
            assertThat(c.stderrWithWarnings()).startsWith("fleettap: warning: --insecure: plaintext gRPC without "
                    + "authentication; anyone who can reach " + address + " can start sessions on its agents and read "
                    + "what they record\nfleettap: cannot reach the collector at " + address + " (")
                    .endsWith("; if it uses TLS, give --tls-dir instead of --insecure)\n").hasLineCount(2);
        }
        assertHostConnected();
    }

    @Test
    void aClientThatDoesNotTrustTheCollectorsCaIsRefused() throws Exception {
        try (Capture c = Capture.install()) {
            assertThat(Main.run("hosts", "--collector", address, "--tls-dir", other.resolve("user-admin").toString()))
                    .isEqualTo(1);
            assertThat(c.stdout()).isEmpty();
            // The JDK's reason in parentheses.
            assertThat(c.stderrWithWarnings()).startsWith("fleettap: TLS handshake with the collector at " + address
                    + " failed: its certificate is not signed by the CA in ca.crt (PKIX path ").hasLineCount(1);
        }
        assertHostConnected();
    }

    @Test
    void anAgentWhoseCertificateAnotherCaSignedCannotConnect() throws Exception {
        // It trusts the collector (the fleet's ca.crt is no secret), but its own certificate is another CA's.
        Path forged = Files.createDirectories(dir.resolve("forged"));
        Files.copy(certs.resolve("ca.crt"), forged.resolve("ca.crt"));
        Files.copy(other.resolve("agent/tls.crt"), forged.resolve("tls.crt"));
        Files.copy(other.resolve("agent/tls.key"), forged.resolve("tls.key"));
        String otherCa = subjectOf(other.resolve("ca.crt"));
        try (DaemonProcess bad = DaemonProcess.start(dir, "bad-agent", "agent", "--tls-dir", forged.toString(),
                "--collector", address, "--host-id", "intruder", "--spool", dir.resolve("bad-spool").toString(),
                "--state", dir.resolve("bad-state").toString())) {
            bad.awaitStderr("the agent's refusal", err -> err.contains("[WARN] AgentDaemon - registering with the "
                    + "collector at " + address + " failed: the collector refused this certificate in the TLS "
                    + "handshake (alert "));
            String refusal = bad.stderr().lines().filter(l -> l.contains("[WARN]")).findFirst().orElseThrow();
            assertThat(refusal).endsWith("): it accepts only certificates its CA signed; retrying in "
                    + refusal.substring(refusal.lastIndexOf("retrying in ") + "retrying in ".length()));
            assertThat(bad.stderr()).doesNotContain("\tat ").doesNotContain("Channel Pipeline");
            collector.awaitStderr("the collector's log of it", err -> err.contains("[WARN] LoggingTrustManager - "
                    + "refused a client certificate: 'CN=*,OU=agent,O=fleettap' issued by '" + otherCa + "': "));
            assertThat(bad.isAlive()).as("it keeps trying").isTrue();
            assertThat(bad.stop()).isZero();
        }
        try (Capture c = Capture.install()) {
            assertThat(Main.run("hosts", "--collector", address, "--tls-dir", user())).isZero();
            assertThat(c.stdout()).doesNotContain("intruder");
        }
        assertHostConnected();
    }

    @Test
    void theCollectorIsAlsoDialledAsLocalhostTheNameItsCertificateHolds() throws Exception {
        try (Capture c = Capture.install()) {
            assertThat(Main.run("hosts", "--collector", "localhost:" + address.substring(address.lastIndexOf(':') + 1),
                    "--tls-dir", user())).as(c.stderr()).isZero();
            assertThat(c.stdout()).containsPattern("\n" + HOST + " +- +yes ");
        }
    }

    /** The good agent is still connected, and a user over TLS sees it. */
    private void assertHostConnected() throws Exception {
        try (Capture c = Capture.install()) {
            assertThat(Main.run("hosts", "--collector", address, "--tls-dir", user())).as(c.stderr()).isZero();
            assertThat(c.stdout()).containsPattern("\n" + HOST + " +- +yes ");
        }
    }

    private static String subjectOf(Path cert) throws Exception {
        Process p = new ProcessBuilder("openssl", "x509", "-in", cert.toString(), "-noout", "-subject", "-nameopt",
                "RFC2253").start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertThat(p.waitFor()).isZero();
        return out.substring("subject=".length());
    }
}
