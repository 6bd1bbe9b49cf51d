package org.fleettap.collector.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TokensParserTest {
    private static final String H1 = "3f0a" + "0".repeat(60);
    private static final String H2 = "AB" + "1".repeat(62);

    private static Tokens parse(String yaml) throws TokensParser.TokensException {
        return TokensParser.parse("tokens.yaml", yaml.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsUsersWithTheirRolesAndFindsThemByTheirTokensHash() throws Exception {
        Tokens t = parse("# users\nusers:\n  - name: admin\n    role: admin\n    token_sha256: " + H1 + "\n"
                + "  - {name: vera, role: viewer, token_sha256: " + H2 + "}\n");
        assertThat(t.users()).containsExactly(new Tokens.User("admin", Role.ADMIN, H1),
                new Tokens.User("vera", Role.VIEWER, H2.toLowerCase(java.util.Locale.ROOT)));
        // SHA-256("abc") is the FIPS 180-2 test vector.
        assertThat(Tokens.sha256("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        Tokens abc = parse("users:\n  - {name: a, role: operator, token_sha256: " + Tokens.sha256("abc") + "}\n");
        assertThat(abc.user("abc")).contains(new Tokens.User("a", Role.OPERATOR, Tokens.sha256("abc")));
        assertThat(abc.user("abd")).isEmpty();
        assertThat(parse("users: []\n").users()).isEmpty();
    }

    static Stream<Arguments> badFiles() {
        return Stream.of(
                Arguments.of("empty", "", "tokens.yaml: empty; expected 'users:' and a list of users"),
                Arguments.of("not a mapping", "- a\n", "tokens.yaml:1:1: expected 'users:' and a list of users"),
                Arguments.of("unknown key", "users: []\ngroups: []\n",
                        "tokens.yaml:2:1: unknown key 'groups' (expected 'users')"),
                Arguments.of("users not a list", "users: admin\n",
                        "tokens.yaml:1:8: users: expected a list of users ('- name: ...')"),
                Arguments.of("bad role", "users:\n  - name: a\n    role: root\n    token_sha256: " + H1 + "\n",
                        "tokens.yaml:3:11: role: 'root' is not a role (viewer, operator or admin)"),
                Arguments.of("short hash", "users:\n  - {name: a, role: admin, token_sha256: abc}\n",
                        "tokens.yaml:2:42: token_sha256: expected 64 hex digits (the SHA-256 of the token), not a "
                                + "3-character value"),
                Arguments.of("missing role", "users:\n  - {name: a, token_sha256: " + H1 + "}\n",
                        "tokens.yaml:2:5: user without 'role'"),
                Arguments.of("unknown field", "users:\n  - {name: a, role: admin, token: x, token_sha256: " + H1
                        + "}\n", "tokens.yaml:2:28: unknown key 'token' (a user has name, role, token_sha256)"),
                Arguments.of("user twice", "users:\n  - {name: a, role: admin, token_sha256: " + H1 + "}\n"
                        + "  - {name: a, role: viewer, token_sha256: " + H2 + "}\n",
                        "tokens.yaml:3:5: user 'a' is listed twice (first at tokens.yaml:2:5)"),
                Arguments.of("token shared", "users:\n  - {name: a, role: admin, token_sha256: " + H1 + "}\n"
                        + "  - {name: b, role: viewer, token_sha256: " + H1.toUpperCase(java.util.Locale.ROOT)
                        + "}\n", "tokens.yaml:3:5: user 'b' has the token of the user at tokens.yaml:2:5"),
                Arguments.of("bad name", "users:\n  - {name: 'a b', role: admin, token_sha256: " + H1 + "}\n",
                        "tokens.yaml:2:12: name: 'a b' is not a user name (letters, digits and . _ @ -, at most 128)"),
                Arguments.of("broken yaml", "users:\n  - {name: a\n",
                        "tokens.yaml:3:1: expected ',' or '}', but got <stream end>"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void aBadFileIsOneLineNamingWhere(String what, String yaml, String message) {
        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(TokensParser.TokensException.class).hasMessage(message);
    }

    @Test
    void notUtf8AndTooLargeAreRefused() {
        assertThatThrownBy(() -> TokensParser.parse("t.yaml", new byte[] {'u', (byte) 0xff}))
                .hasMessage("t.yaml: not UTF-8 text");
        assertThatThrownBy(() -> TokensParser.parse("t.yaml", new byte[TokensParser.MAX_BYTES + 1]))
                .hasMessage("t.yaml: larger than 1024 KiB; not a tokens file");
    }
}
