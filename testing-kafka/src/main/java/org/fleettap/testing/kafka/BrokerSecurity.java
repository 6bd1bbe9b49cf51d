package org.fleettap.testing.kafka;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the clients' listener of a {@link KafkaBroker} authenticates them: {@link #plaintext()} (nobody, the
 * default) or {@link #saslPlain(String, String)} (SASL/PLAIN over plaintext, one user known to the broker), so
 * that a test can prove that a client passes its security settings through, and that a wrong password is refused.
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
    static BrokerSecurity saslPlain(String user, String password) {
        return new SaslPlain(user, password);
    }

    /** The listener's security protocol ({@code PLAINTEXT}, {@code SASL_PLAINTEXT}). */
    String protocol();

    /** What the broker's {@code server.properties} needs beyond the listeners. */
    Map<String, String> serverProperties();

    /**
     * The client settings that authenticate as {@code user} with {@code password} ({@code security.protocol},
     * {@code sasl.*}); for {@link #plaintext()}, none.
     */
    Map<String, String> clientProperties(String user, String password);

    /** The client settings of the broker's own user: what a test client with the right credentials uses. */
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
        public Map<String, String> clientProperties(String user, String password) {
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

        @Override
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
}
