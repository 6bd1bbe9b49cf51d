package org.fleettap.testing.kafka;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * How the clients' listener of a {@link KafkaBroker} secures them: {@link #plaintext()} (nothing, the default),
 * {@link #saslPlain(String, String)} (SASL/PLAIN over plaintext, one user known to the broker) or {@link #ssl(Path)}
 * (TLS), so that a test can prove that a client passes its security settings through, and that wrong credentials
 * are refused.
 *
 * <p>The controller listener stays plaintext on loopback either way: only the clients' listener is under test.
 */
public sealed interface BrokerSecurity {

    /** No authentication: {@code PLAINTEXT}. */
    static BrokerSecurity plaintext() {
        return Plaintext.INSTANCE;
    }

    /**
     * {@code SASL_PLAINTEXT} with the {@code PLAIN} mechanism; the broker knows one user, {@code user} with {@code
     * password}, and uses it for itself too.
     */
    static SaslPlain saslPlain(String user, String password) {
        return new SaslPlain(user, password);
    }

    /**
     * {@code SSL}: TLS with a self-signed certificate for {@code 127.0.0.1} and {@code localhost}, made with the JDK's
     * {@code keytool} in {@code directory} ({@code broker.p12}, the key and certificate; {@code broker.pem}, the
     * certificate that clients trust). Clients are not asked for a certificate.
     */
    static Ssl ssl(Path directory) {
        return Ssl.create(directory);
    }

    /** The listener's security protocol ({@code PLAINTEXT}, {@code SASL_PLAINTEXT}). */
    String protocol();

    /** What the broker's {@code server.properties} needs beyond the listeners. */
    Map<String, String> serverProperties();

    /**
     * The client settings that a test client with the right credentials uses ({@code security.protocol}, {@code
     * sasl.*}, {@code ssl.*}); for {@link #plaintext()}, none.
     */
    Map<String, String> clientProperties();

    /** No authentication. */
    enum Plaintext implements BrokerSecurity {
        INSTANCE;

        @Override
        public String protocol() {
            return "PLAINTEXT";
        }

        @Override
        public Map<String, String> serverProperties() {
            return Map.of();
        }

        @Override
        public Map<String, String> clientProperties() {
            return Map.of();
        }
    }

    /**
     * SASL/PLAIN over plaintext with one user.
     *
     * @param user the user's name (letters, digits, {@code _.-})
     * @param password the user's password (no {@code "} or {@code \})
     */
    record SaslPlain(String user, String password) implements BrokerSecurity {
        static final String MECHANISM = "PLAIN";
        private static final String LOGIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";

        public SaslPlain {
            requireNonNull(user, "user");
            requireNonNull(password, "password");
            if (!user.matches("[A-Za-z0-9_.-]+")) {
                throw new IllegalArgumentException("user '" + user + "': use letters, digits, '_', '.', '-'");
            }
            checkQuotable(password);
        }

        @Override
        public String protocol() {
            return "SASL_PLAINTEXT";
        }

        @Override
        public Map<String, String> serverProperties() {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("sasl.enabled.mechanisms", MECHANISM);
            p.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
            // the broker's own login (username/password) and the users it accepts (user_NAME="PASSWORD")
            p.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", LOGIN_MODULE + " required username=\""
                    + user + "\" password=\"" + password + "\" user_" + user + "=\"" + password + "\";");
            return p;
        }

        /** The client settings that authenticate as {@code name} with {@code secret}, right or wrong. */
        public Map<String, String> clientProperties(String name, String secret) {
            requireNonNull(name, "name");
            checkQuotable(secret);
            Map<String, String> p = new LinkedHashMap<>();
            p.put("security.protocol", protocol());
            p.put("sasl.mechanism", MECHANISM);
            p.put("sasl.jaas.config",
                    LOGIN_MODULE + " required username=\"" + name + "\" password=\"" + secret + "\";");
            return p;
        }

        @Override
        public Map<String, String> clientProperties() {
            return clientProperties(user, password);
        }

        @Override
        public String toString() {
            return "SaslPlain[user=" + user + ", password=(hidden)]";
        }

        private static void checkQuotable(String password) {
            requireNonNull(password, "password");
            if (password.isEmpty() || password.contains("\"") || password.contains("\\")) {
                throw new IllegalArgumentException("a password must not be empty nor contain '\"' or '\\'");
            }
        }
    }

    /**
     * TLS on the clients' listener, with a self-signed certificate.
     *
     * @param keystore the broker's key and certificate (PKCS#12)
     * @param certificate the certificate in PEM, what clients trust ({@code ssl.truststore.type=PEM})
     * @param password the keystore's password
     */
    record Ssl(Path keystore, Path certificate, String password) implements BrokerSecurity {
        public Ssl {
            requireNonNull(keystore, "keystore");
            requireNonNull(certificate, "certificate");
            requireNonNull(password, "password");
        }

        static Ssl create(Path directory) {
            requireNonNull(directory, "directory");
            Path keystore = directory.resolve("broker.p12");
            Path certificate = directory.resolve("broker.pem");
            String password = UUID.randomUUID().toString();
            try {
                Files.createDirectories(directory);
            } catch (IOException e) {
                throw new UncheckedIOException("creating " + directory, e);
            }
            keytool(directory, "-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=localhost", "-ext", "SAN=IP:127.0.0.1,DNS:localhost", "-validity", "2",
                    "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", password, "-keypass",
                    password);
            keytool(directory, "-exportcert", "-rfc", "-alias", "broker", "-keystore", keystore.toString(),
                    "-storepass", password, "-file", certificate.toString());
            return new Ssl(keystore, certificate, password);
        }

        @Override
        public String protocol() {
            return "SSL";
        }

        @Override
        public Map<String, String> serverProperties() {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("ssl.keystore.type", "PKCS12");
            p.put("ssl.keystore.location", keystore.toString());
            p.put("ssl.keystore.password", password);
            p.put("ssl.key.password", password);
            p.put("ssl.client.auth", "none");
            // the broker reaches itself on this listener (inter-broker): it trusts its own certificate
            p.put("ssl.truststore.type", "PEM");
            p.put("ssl.truststore.location", certificate.toString());
            return p;
        }

        @Override
        public Map<String, String> clientProperties() {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("security.protocol", protocol());
            p.put("ssl.truststore.type", "PEM");
            p.put("ssl.truststore.location", certificate.toString());
            return p;
        }

        @Override
        public String toString() {
            return "Ssl[keystore=" + keystore + ", certificate=" + certificate + ", password=(hidden)]";
        }

        private static void keytool(Path directory, String... args) {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
            command.addAll(List.of(args));
            command.add("-noprompt");
            try {
                Process p = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                        .start();
                p.getOutputStream().close();
                String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    throw new IllegalStateException("keytool " + args[0] + " failed: " + output.strip());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("running keytool " + args[0], e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("keytool " + args[0] + ": interrupted", e);
            }
        }
    }
}
