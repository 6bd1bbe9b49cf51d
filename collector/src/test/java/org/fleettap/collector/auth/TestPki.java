package org.fleettap.collector.auth;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates for tests, made by {@code openssl} (an oracle nobody here wrote) with the subjects of the security
 * contract: a CA (EC P-256), the collector ({@code CN=fleettap-collector, OU=collector, O=fleettap}, SANs localhost,
 * 127.0.0.1, ::1, serverAuth), agents ({@code CN=ID, OU=agent, O=fleettap}, clientAuth) and users ({@code CN=NAME,
 * OU=user, O=fleettap}, clientAuth, and a token: 32 random bytes in base64url without padding).
 */
public final class TestPki {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final Path caCert;
    private final Path caKey;

    /** One identity's files, as a TLS directory holds them. */
    public record Identity(Path dir, Path cert, Path key, Path ca) {
        public ChannelCredentials channelCredentials() throws IOException {
            return TlsChannelCredentials.newBuilder().keyManager(cert.toFile(), key.toFile())
                    .trustManager(ca.toFile()).build();
        }

        public ServerCredentials serverCredentials() throws IOException {
            return TlsServerCredentials.newBuilder().keyManager(cert.toFile(), key.toFile()).trustManager(ca.toFile())
                    .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
        }
    }

    private TestPki(Path dir) {
        this.dir = dir;
        this.caCert = dir.resolve("ca.crt");
        this.caKey = dir.resolve("ca.key");
    }

    /** A new CA in {@code dir}. */
    public static TestPki create(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        TestPki pki = new TestPki(dir);
        openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key");
        openssl(dir, "req", "-x509", "-new", "-key", "ca.key", "-subj", "/O=fleettap/CN=fleettap test CA",
                "-days", "3650", "-out", "ca.crt", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return pki;
    }

    public Identity collector() throws IOException, InterruptedException {
        return issue("collector", "/O=fleettap/OU=collector/CN=fleettap-collector", "serverAuth",
                "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1");
    }

    /** {@code id} "*" is the fleet-wide agent certificate. */
    public Identity agent(String id) throws IOException, InterruptedException {
        return issue(id.equals("*") ? "agent" : "agent-" + id, "/O=fleettap/OU=agent/CN=" + id, "clientAuth", null);
    }

    public Identity user(String name) throws IOException, InterruptedException {
        return issue("user-" + name, "/O=fleettap/OU=user/CN=" + name, "clientAuth", null);
    }

    /** A new token: 32 random bytes, base64url without padding. */
    public static String token() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private Identity issue(String name, String subject, String usage, String san)
            throws IOException, InterruptedException {
        Path d = Files.createDirectories(dir.resolve(name));
        openssl(d, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "tls.key");
        openssl(d, "req", "-new", "-key", "tls.key", "-subj", subject, "-out", "tls.csr");
        StringBuilder ext = new StringBuilder("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                + "extendedKeyUsage=" + usage + "\n");
        if (san != null) {
            ext.append(san).append('\n');
        }
        Files.writeString(d.resolve("ext.cnf"), ext.toString(), StandardCharsets.UTF_8);
        openssl(d, "x509", "-req", "-in", "tls.csr", "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "tls.crt");
        return new Identity(d, d.resolve("tls.crt"), d.resolve("tls.key"), caCert);
    }

    private static void openssl(Path cwd, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
