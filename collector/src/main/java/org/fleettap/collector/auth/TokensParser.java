package org.fleettap.collector.auth;

import static org.fleettap.yaml.YamlText.at;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.fleettap.yaml.YamlText;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a tokens.yaml (the users a collector knows, docs/access.md) into {@link Tokens}, checking every entry, so that
 * a wrong file stops the collector at start with one line, {@code file:line:col: what}. Parses bytes and does no
 * I/O. The YAML is composed by {@link YamlText}, as every YAML file fleettap reads.
 *
 * <pre>
 * users:
 *   - name: admin
 *     role: admin
 *     token_sha256: 3f0a...   # 64 hex digits: SHA-256 of the user's token
 * </pre>
 */
public final class TokensParser {
    /** A tokens file is small; anything larger is a mistake. */
    public static final int MAX_BYTES = 1 << 20;
    private static final int MAX_DEPTH = 4;
    static final String USERS = "users";
    static final List<String> FIELDS = List.of("name", "role", "token_sha256");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private TokensParser() {
    }

    /**
     * Reads {@code bytes} (UTF-8) named {@code name} in messages.
     *
     * @throws TokensException one line naming {@code name:line:col} and what is wrong
     */
    public static Tokens parse(String name, byte[] bytes) throws TokensException {
        Node root;
        try {
            root = YamlText.compose(name, bytes, "a tokens file", MAX_BYTES, MAX_DEPTH);
        } catch (YamlText.YamlException e) {
            throw new TokensException(e.getMessage());
        }
        if (root == null) {
            throw new TokensException(name + ": empty; expected 'users:' and a list of users");
        }
        if (!(root instanceof MappingNode map)) {
            throw new TokensException(at(name, root.getStartMark()) + ": expected 'users:' and a list of users");
        }
        SequenceNode users = null;
        for (NodeTuple t : map.getValue()) {
            String key = t.getKeyNode() instanceof ScalarNode k ? k.getValue() : null;
            if (!USERS.equals(key)) {
                throw new TokensException(at(name, t.getKeyNode().getStartMark()) + ": unknown key"
                        + (key == null ? "" : " '" + key + "'") + " (expected 'users')");
            }
            if (users != null) {
                throw new TokensException(at(name, t.getKeyNode().getStartMark()) + ": 'users' is set twice");
            }
            if (!(t.getValueNode() instanceof SequenceNode seq)) {
                throw new TokensException(at(name, t.getValueNode().getStartMark())
                        + ": users: expected a list of users ('- name: ...')");
            }
            users = seq;
        }
        if (users == null) {
            throw new TokensException(name + ": no 'users:' list");
        }
        List<Tokens.User> out = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        Map<String, String> hashes = new HashMap<>();
        for (Node item : users.getValue()) {
            Tokens.User u = user(name, item);
            String where = at(name, item.getStartMark());
            String before = names.putIfAbsent(u.name(), where);
            if (before != null) {
                throw new TokensException(where + ": user '" + u.name() + "' is listed twice (first at " + before
                        + ")");
            }
            before = hashes.putIfAbsent(u.tokenSha256(), where);
            if (before != null) {
                throw new TokensException(where + ": user '" + u.name() + "' has the token of the user at " + before);
            }
            out.add(u);
        }
        return new Tokens(out);
    }

    private static Tokens.User user(String name, Node item) throws TokensException {
        if (!(item instanceof MappingNode m)) {
            throw new TokensException(at(name, item.getStartMark()) + ": expected a user: name, role, token_sha256");
        }
        Map<String, ScalarNode> fields = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            String key = t.getKeyNode() instanceof ScalarNode k ? k.getValue() : null;
            String keyAt = at(name, t.getKeyNode().getStartMark());
            if (key == null || !FIELDS.contains(key)) {
                throw new TokensException(keyAt + ": unknown key" + (key == null ? "" : " '" + key + "'")
                        + " (a user has " + String.join(", ", FIELDS) + ")");
            }
            if (fields.containsKey(key)) {
                throw new TokensException(keyAt + ": '" + key + "' is set twice");
            }
            if (!(t.getValueNode() instanceof ScalarNode v)) {
                throw new TokensException(at(name, t.getValueNode().getStartMark()) + ": " + key
                        + ": expected a single value");
            }
            fields.put(key, v);
        }
        for (String f : FIELDS) {
            if (!fields.containsKey(f)) {
                throw new TokensException(at(name, item.getStartMark()) + ": user without '" + f + "'");
            }
        }
        ScalarNode n = fields.get("name");
        if (!NAME.matcher(n.getValue()).matches()) {
            throw new TokensException(at(name, n.getStartMark()) + ": name: '" + n.getValue() + "' is not a user "
                    + "name (letters, digits and . _ @ -, at most 128)");
        }
        ScalarNode r = fields.get("role");
        Role role = Role.of(r.getValue()).orElseThrow(() -> new TokensException(at(name, r.getStartMark())
                + ": role: '" + r.getValue() + "' is not a role (viewer, operator or admin)"));
        ScalarNode h = fields.get("token_sha256");
        if (!SHA256.matcher(h.getValue()).matches()) {
            throw new TokensException(at(name, h.getStartMark()) + ": token_sha256: expected 64 hex digits (the "
                    + "SHA-256 of the token), not a " + h.getValue().length() + "-character value");
        }
        return new Tokens.User(n.getValue(), role, h.getValue().toLowerCase(Locale.ROOT));
    }

    /** A tokens file that cannot be used; the message is one line naming where. */
    public static final class TokensException extends Exception {
        private static final long serialVersionUID = 1L;

        public TokensException(String message) {
            super(message);
        }
    }
}
