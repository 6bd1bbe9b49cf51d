package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fleettap certs}, checked by openssl (an oracle we did not write): the chain, subjects, SANs, key usages and
 * key type of every certificate; file modes by stat; tokens.yaml against the tokens' SHA-256 as openssl computes
 * it; a second run adding to the same CA; an existing identity refused.
 */
@Timeout(120)
class CertsCommandTest {
    @TempDir
    Path dir;

    private record Result(int exit, String stdout, String stderr) {}

    private static Result certs(String... args) {
        try (Capture c = Capture.install()) {
            List<String> all = new ArrayList<>(List.of("certs"));
            all.addAll(List.of(args));
            int exit = Main.run(all.toArray(new String[0]));
            return new Result(exit, c.stdout(), c.stderr());
        }
    }

    /** Runs a command; its stdout, or the assertion error saying what it printed on failure. */
    private static String sh(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
        return out;
    }

    private String subject(Path cert) throws Exception {
        return sh("openssl", "x509", "-in", cert.toString(), "-noout", "-subject", "-nameopt", "RFC2253").strip();
    }

    private String ext(Path cert, String names) throws Exception {
        return sh("openssl", "x509", "-in", cert.toString(), "-noout", "-ext", names);
    }

    private static String mode(Path file) throws Exception {
        return sh("stat", "-c", "%a", file.toString()).strip();
    }

    private void assertIdentity(Path id, String subject, String usage) throws Exception {
        assertThat(Files.readString(id.resolve("ca.crt"))).isEqualTo(Files.readString(dir.resolve("out/ca.crt")));
        assertThat(sh("openssl", "verify", "-CAfile", dir.resolve("out/ca.crt").toString(),
                id.resolve("tls.crt").toString())).isEqualTo(id.resolve("tls.crt") + ": OK\n");
        assertThat(subject(id.resolve("tls.crt"))).isEqualTo("subject=" + subject);
        assertThat(ext(id.resolve("tls.crt"), "extendedKeyUsage"))
                .isEqualTo("X509v3 Extended Key Usage: \n    " + usage + "\n");
        String key = sh("openssl", "pkey", "-in", id.resolve("tls.key").toString(), "-noout", "-text");
        assertThat(key).startsWith("Private-Key: (256 bit)\n").contains("ASN1 OID: prime256v1\n");
        assertThat(Files.readString(id.resolve("tls.key"))).startsWith("-----BEGIN PRIVATE KEY-----\n");
        // The key is the certificate's.
        assertThat(sh("openssl", "pkey", "-in", id.resolve("tls.key").toString(), "-pubout"))
                .isEqualTo(sh("openssl", "x509", "-in", id.resolve("tls.crt").toString(), "-noout", "-pubkey"));
        assertThat(mode(id.resolve("tls.key"))).isEqualTo("600");
    }

    private static String sha256(String token) throws Exception {
        String out = sh("bash", "-c", "printf %s \"$0\" | openssl dgst -sha256 -r", token);
        return out.substring(0, out.indexOf(' '));
    }

    private static String token(Path user) throws Exception {
        String text = Files.readString(user.resolve("token"));
        assertThat(text).matches("[A-Za-z0-9_-]{43}\n"); // 32 bytes, base64url without padding, one line
        assertThat(mode(user.resolve("token"))).isEqualTo("600");
        return text.strip();
    }

    @Test
    void aNewDirectoryHoldsTheCaTheCollectorAgentsAndUsers() throws Exception {
        Path out = dir.resolve("out");
        Result r = certs("--out", out.toString(), "--collector-name", "collector.example", "--collector-name",
                "10.1.2.3", "--agent", "web1", "--user", "alice:operator", "--user", "bob:viewer", "--days", "30");
        assertThat(r.stderr()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.stdout()).isEqualTo("CA: " + out + "\n"
                + "collector (localhost, 127.0.0.1, ::1, collector.example, 10.1.2.3): " + out.resolve("collector") + "\n"
                + "agent (any host id): " + out.resolve("agent") + "\n"
                + "agent web1 (host id web1 only): " + out.resolve("agent-web1") + "\n"
                + "user alice (operator): " + out.resolve("user-alice") + "\n"
                + "user bob (viewer): " + out.resolve("user-bob") + "\n");
        try (Stream<Path> files = Files.walk(out)) {
            assertThat(files.map(f -> out.relativize(f).toString()).sorted().toList()).containsExactly("",
                    "agent", "agent-web1", "agent-web1/ca.crt", "agent-web1/tls.crt", "agent-web1/tls.key",
                    "agent/ca.crt", "agent/tls.crt", "agent/tls.key", "ca.crt", "ca.key",
                    "collector", "collector/ca.crt", "collector/tls.crt", "collector/tls.key", "collector/tokens.yaml",
                    "user-alice", "user-alice/ca.crt", "user-alice/tls.crt", "user-alice/tls.key", "user-alice/token",
                    "user-bob", "user-bob/ca.crt", "user-bob/tls.crt", "user-bob/tls.key", "user-bob/token");
        }
        assertThat(mode(out.resolve("ca.key"))).isEqualTo("600");
        assertThat(mode(out.resolve("collector/tokens.yaml"))).isEqualTo("600");
        assertThat(ext(out.resolve("ca.crt"), "basicConstraints"))
                .isEqualTo("X509v3 Basic Constraints: critical\n    CA:TRUE, pathlen:0\n");
        assertThat(subject(out.resolve("ca.crt"))).matches("subject=CN=fleettap-ca-[0-9a-f]{8},OU=ca,O=fleettap");
        // The CA's key signs what its certificate says.
        assertThat(sh("openssl", "pkey", "-in", out.resolve("ca.key").toString(), "-pubout"))
                .isEqualTo(sh("openssl", "x509", "-in", out.resolve("ca.crt").toString(), "-noout", "-pubkey"));

        assertIdentity(out.resolve("collector"), "CN=fleettap-collector,OU=collector,O=fleettap",
                "TLS Web Server Authentication");
        assertThat(ext(out.resolve("collector/tls.crt"), "subjectAltName")).isEqualTo("X509v3 Subject Alternative "
                + "Name: \n    DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:collector.example, "
                + "IP Address:10.1.2.3\n");
        assertIdentity(out.resolve("agent"), "CN=*,OU=agent,O=fleettap", "TLS Web Client Authentication");
        assertIdentity(out.resolve("agent-web1"), "CN=web1,OU=agent,O=fleettap", "TLS Web Client Authentication");
        assertIdentity(out.resolve("user-alice"), "CN=alice,OU=user,O=fleettap", "TLS Web Client Authentication");
        assertIdentity(out.resolve("user-bob"), "CN=bob,OU=user,O=fleettap", "TLS Web Client Authentication");
        // --days 30: openssl -checkend says it is valid in 29 days and not in 31.
        Path alice = out.resolve("user-alice/tls.crt");
        sh("openssl", "x509", "-in", alice.toString(), "-noout", "-checkend", String.valueOf(29 * 86400));
        Process late = new ProcessBuilder("openssl", "x509", "-in", alice.toString(), "-noout", "-checkend",
                String.valueOf(31 * 86400)).start();
        assertThat(late.waitFor()).isEqualTo(1);

        String aliceToken = token(out.resolve("user-alice"));
        String bobToken = token(out.resolve("user-bob"));
        assertThat(aliceToken).isNotEqualTo(bobToken);
        assertThat(Files.readString(out.resolve("collector/tokens.yaml"))).isEqualTo(""
                + "# fleettap users: the SHA-256 (hex) of each user's token, never the token\n"
                + "users:\n"
                + "  - name: alice\n"
                + "    role: operator\n"
                + "    token_sha256: " + sha256(aliceToken) + "\n"
                + "  - name: bob\n"
                + "    role: viewer\n"
                + "    token_sha256: " + sha256(bobToken) + "\n");
    }

    @Test
    void withoutUsersTheFirstRunMakesAnAdmin() throws Exception {
        Path out = dir.resolve("out");
        assertThat(certs("--out", out.toString()).exit()).isZero();
        assertIdentity(out.resolve("user-admin"), "CN=admin,OU=user,O=fleettap", "TLS Web Client Authentication");
        assertThat(Files.readString(out.resolve("collector/tokens.yaml"))).endsWith("users:\n"
                + "  - name: admin\n    role: admin\n    token_sha256: " + sha256(token(out.resolve("user-admin")))
                + "\n");
        assertThat(ext(out.resolve("collector/tls.crt"), "subjectAltName")).isEqualTo("X509v3 Subject Alternative "
                + "Name: \n    DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1\n");
    }

    @Test
    void aSecondRunKeepsTheCaAndAddsOnlyWhatItNames() throws Exception {
        Path out = dir.resolve("out");
        assertThat(certs("--out", out.toString()).exit()).isZero();
        String ca = Files.readString(out.resolve("ca.crt"));
        String caKey = Files.readString(out.resolve("ca.key"));
        String collectorCert = Files.readString(out.resolve("collector/tls.crt"));
        String before = Files.readString(out.resolve("collector/tokens.yaml"));

        Result r = certs("--out", out.toString(), "--agent", "db1", "--user", "carol:viewer");
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdout()).isEqualTo("agent db1 (host id db1 only): " + out.resolve("agent-db1") + "\n"
                + "user carol (viewer): " + out.resolve("user-carol") + "\n");
        assertThat(r.exit()).isZero();
        assertThat(Files.readString(out.resolve("ca.crt"))).isEqualTo(ca);
        assertThat(Files.readString(out.resolve("ca.key"))).isEqualTo(caKey);
        assertThat(Files.readString(out.resolve("collector/tls.crt"))).isEqualTo(collectorCert);
        assertIdentity(out.resolve("agent-db1"), "CN=db1,OU=agent,O=fleettap", "TLS Web Client Authentication");
        assertIdentity(out.resolve("user-carol"), "CN=carol,OU=user,O=fleettap", "TLS Web Client Authentication");
        assertThat(Files.readString(out.resolve("collector/tokens.yaml"))).isEqualTo(before
                + "  - name: carol\n    role: viewer\n    token_sha256: " + sha256(token(out.resolve("user-carol")))
                + "\n");
    }

    @Test
    void anIdentityThatExistsIsRefusedAndNothingIsWritten() throws Exception {
        Path out = dir.resolve("out");
        assertThat(certs("--out", out.toString(), "--user", "bob:viewer").exit()).isZero();
        String tokens = Files.readString(out.resolve("collector/tokens.yaml"));
        String bob = Files.readString(out.resolve("user-bob/tls.crt"));

        Result r = certs("--out", out.toString(), "--agent", "new1", "--user", "bob:admin");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).isEqualTo("fleettap: " + out.resolve("user-bob") + ": exists already (an identity is "
                + "never overwritten; remove it to make it again)\n");
        assertThat(out.resolve("agent-new1")).doesNotExist();
        assertThat(Files.readString(out.resolve("collector/tokens.yaml"))).isEqualTo(tokens);
        assertThat(Files.readString(out.resolve("user-bob/tls.crt"))).isEqualTo(bob);
    }

    @Test
    void badValuesAreOneLineAndExitTwo() {
        Path out = dir.resolve("out");
        assertThat(certs("--out", out.toString(), "--user", "eve:root")).isEqualTo(new Result(2, "",
                "fleettap: --user 'eve:root': the role must be viewer, operator or admin (see 'fleettap certs "
                        + "--help')\n"));
        assertThat(certs("--out", out.toString(), "--agent", "a/b")).isEqualTo(new Result(2, "",
                "fleettap: --agent 'a/b': not a host id (1 to 253 bytes, no '/', no blanks around it) (see "
                        + "'fleettap certs --help')\n"));
        assertThat(certs("--out", out.toString(), "--collector-name", "not a name")).isEqualTo(new Result(2, "",
                "fleettap: --collector-name 'not a name': not a DNS name or IP address (see 'fleettap certs "
                        + "--help')\n"));
        assertThat(certs("--out", out.toString(), "--days", "0").exit()).isEqualTo(2);
        assertThat(out).doesNotExist();
    }
}
