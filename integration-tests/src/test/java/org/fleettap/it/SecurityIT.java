package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's refusals end to end, over TLS as users deploy it: certificates from {@code fleettap certs}, the collector
 * and a bound agent as processes with --tls-dir, the CLI with users' directories. An unauthenticated client (plaintext,
 * and TLS without a token), an agent whose certificate another CA signed, a viewer starting a session and a viewer
 * reading the audit log are all refused, each in one line; meanwhile an operator's session counts the loop fixture's
 * calls exactly, the traced program runs to its end, and the admin finds every start and refusal in the audit log
 * and the refusals in the collector's counts.
 */
class SecurityIT {
    private static final Path LOOP = Fleettap.ROOT.resolve("agent/target/fixtures/loop");
    private static final String SCRIPT = "global calls\nprobe begin { println(\"armed\") }\nprobe process(\"" + LOOP
            + "\").function(\"f\") { calls++ }\n";

    @TempDir
    Path dir;

    @Test
    void outsidersAndViewersAreRefusedWhileAnOperatorsSessionCountsExactly() throws Exception {
        Path certs = dir.resolve("certs");
        Path other = dir.resolve("other");
        Fleettap.Result made = Fleettap.run("certs", "--out", certs.toString(), "--agent", "h1", "--user",
                "root-admin:admin", "--user", "olga:operator", "--user", "vic:viewer");
        assertThat(made.exit()).as(made.stderr()).isZero();
        assertThat(Fleettap.run("certs", "--out", other.toString(), "--agent", "h1").exit()).isZero();
        // vic's certificate without vic's token: authenticated by TLS, unknown to the collector's users.
        Path tokenless = dir.resolve("vic-without-token");
        Files.createDirectories(tokenless);
        for (String f : List.of("ca.crt", "tls.crt", "tls.key")) {
            Files.copy(certs.resolve("user-vic").resolve(f), tokenless.resolve(f));
        }
        // An agent that trusts the fleet's CA but holds a certificate another CA signed for the same host name.
        Path foreign = dir.resolve("foreign-agent");
        Files.createDirectories(foreign);
        Files.copy(certs.resolve("ca.crt"), foreign.resolve("ca.crt"));
        for (String f : List.of("tls.crt", "tls.key")) {
            Files.copy(other.resolve("agent-h1").resolve(f), foreign.resolve(f));
        }

        try (LoopbackFleet fleet = new LoopbackFleet(dir)) {
            String a = fleet.address();
            fleet.collector("collector", "--tls-dir", certs.resolve("collector").toString());
            fleet.agent("agent-1", "h1", "--tls-dir", certs.resolve("agent-h1").toString());

            // An agent with a certificate from another CA never registers; the collector logs the refusal.
            fleet.start("outsider", "agent", "--collector", a, "--host-id", "h1", "--tls-dir", foreign.toString(),
                    "--spool", dir.resolve("spool-x").toString(), "--state", dir.resolve("state-x").toString());
            Fleettap.waitFor(() -> fleet.err("outsider").contains("the collector refused this certificate"),
                    "the outsider agent to be refused");
            assertThat(fleet.err("outsider")).doesNotContain("registered with the collector").doesNotContain("\tat ");
            Fleettap.waitFor(() -> fleet.err("collector").contains("refused a client certificate"),
                    "the collector to log the refused certificate");

            // Unauthenticated clients: plaintext, and TLS without a token.
            Fleettap.Result plain = Fleettap.run("hosts", "--collector", a, "--insecure");
            assertThat(plain.exit()).isEqualTo(1);
            assertThat(Fleettap.withoutInsecureWarning(plain.stderr()).lines().toList()).hasSize(1);
            assertThat(plain.stdout()).isEmpty();
            Fleettap.Result noToken = Fleettap.run("hosts", "--collector", a, "--tls-dir", tokenless.toString());
            assertThat(noToken.exit()).isEqualTo(1);
            assertThat(noToken.stderrLines()).hasSize(1);
            assertThat(noToken.stderr()).contains("ListHosts needs the user's token");

            // A viewer may look but not start a session or read the audit log.
            Path vic = certs.resolve("user-vic");
            Fleettap.Result hosts = Fleettap.run("hosts", "--collector", a, "--tls-dir", vic.toString());
            assertThat(hosts.exit()).as(hosts.stderr()).isZero();
            assertThat(hosts.stdout().lines().filter(l -> l.matches("h1\\s.*")).count()).as(hosts.stdout()).isEqualTo(1);
            Fleettap.Result viewerRun = Fleettap.run("run", "--collector", a, "--tls-dir", vic.toString(), "-e",
                    SCRIPT);
            assertThat(viewerRun.exit()).isNotZero();
            assertThat(viewerRun.stderrLines()).hasSize(1);
            assertThat(viewerRun.stderr()).contains("StartSession needs role operator or higher; user vic is viewer");
            assertThat(viewerRun.stdout()).doesNotContain("session ");
            Fleettap.Result viewerAudit = Fleettap.run("audit", "--collector", a, "--tls-dir", vic.toString());
            assertThat(viewerAudit.exit()).isEqualTo(1);
            assertThat(viewerAudit.stderr()).contains("needs role admin or higher; user vic is viewer");

            // The operator's session counts exactly; the traced program runs to its end.
            fleet.start("run", "run", "--collector", a, "--tls-dir", certs.resolve("user-olga").toString(), "-e",
                    SCRIPT);
            Fleettap.waitFor(() -> fleet.out("run").startsWith("session "), "the session id");
            String session = fleet.out("run").lines().findFirst().orElseThrow().substring("session ".length()).strip();
            Fleettap.waitFor(() -> fleet.out("run").contains("[h1] armed"), "h1 to arm the session");
            Process loop = new ProcessBuilder(LOOP.toString(), "4000").start();
            assertThat(loop.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(loop.exitValue()).isEqualTo(4000 % 256);
            Path admin = certs.resolve("user-root-admin");
            Fleettap.waitFor(() -> calls(a, admin, session) >= 4000, "the collector to have 4000 calls");
            Thread.sleep(2500);
            assertThat(calls(a, admin, session)).isEqualTo(4000);
            Fleettap.Result stop = Fleettap.run("stop", "--collector", a, "--tls-dir", certs.resolve("user-olga")
                    .toString(), session);
            assertThat(stop.exit()).as(stop.stderr()).isZero();
            assertThat(fleet.process("run").waitFor(60, TimeUnit.SECONDS)).isTrue();

            // The admin reads who did what: olga's start and stop, vic's refusals, in time order.
            Fleettap.Result audit = Fleettap.run("audit", "--collector", a, "--tls-dir", admin.toString(), "-o",
                    "csv");
            assertThat(audit.exit()).as(audit.stderr()).isZero();
            List<String> rows = audit.stdout().lines().skip(1).map(l -> {
                String[] c = l.split(",", -1);
                return c[1] + "," + c[2] + "," + c[3] + "," + c[4] + "," + c[c.length - 1];
            }).toList();
            // The run stops its session again as it ends: recorded as what it was.
            assertThat(rows).containsExactly(
                    "vic,viewer,refused,-,refused: fleettap.v1.SessionService/StartSession needs role operator or higher; user vic is viewer",
                    "vic,viewer,refused,-,refused: fleettap.v1.AdminService/ListAudit needs role admin or higher; user vic is viewer",
                    "olga,operator,start," + session + ",started", "olga,operator,stop," + session + ",stopped",
                    "olga,operator,stop," + session + ",had ended already");
            Fleettap.Result stats = Fleettap.run("stats", "--collector", a, "--tls-dir", admin.toString());
            assertThat(stats.exit()).as(stats.stderr()).isZero();
            assertThat(refusals(stats.stdout(), "role-too-low")).as(stats.stdout()).isEqualTo(2);
            assertThat(refusals(stats.stdout(), "no-token")).as(stats.stdout()).isEqualTo(1);
        }
    }

    /** The stored count of the session's {@code calls}, read by {@code user}; -1 when the query fails. */
    private static long calls(String address, Path user, String session) {
        Fleettap.Result r = Fleettap.run("query", "--collector", address, "--tls-dir", user.toString(), "--session",
                session, "calls", "-o", "json");
        Matcher m = Pattern.compile("\"sum\"\\s*:\\s*\"?(-?\\d+)").matcher(r.stdout());
        return r.exit() == 0 && m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** The sum of the refusal counts in {@code fleettap stats}' table whose reason mentions {@code reason}. */
    private static long refusals(String table, String reason) {
        return table.lines().filter(l -> l.startsWith("refused") && l.contains(reason))
                .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
