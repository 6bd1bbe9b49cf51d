package org.fleettap.agent.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;
import org.fleettap.yaml.YamlText;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a policy file (YAML, one mapping of rules) into a {@link Policy}, checking every rule, so that a wrong file
 * stops the agent at start with {@code file:line:col: what}, never later. Parses bytes and does no I/O: user names
 * are turned into uids by the function given.
 */
public final class PolicyParser {
    /** A policy is small; anything larger is a mistake. */
    public static final int MAX_BYTES = 1 << 20;
    static final List<String> RULES = List.of(Policy.BINARIES, Policy.USERS, Policy.KERNEL_PROBES,
            Policy.MAX_PROBES_PER_SESSION, Policy.MAX_EVENTS_PER_SECOND, Policy.MAX_MAP_ENTRIES,
            Policy.MAX_OUTPUT_BYTES_PER_SECOND);

    private PolicyParser() {
    }

    /**
     * Reads {@code bytes} (UTF-8) named {@code name} in messages; {@code uidOf} gives the uid of a user name, empty
     * for a user this host does not have.
     *
     * @throws PolicyException one line naming {@code name:line:col} and what is wrong
     */
    public static Policy parse(String name, byte[] bytes, Function<String, OptionalInt> uidOf) throws PolicyException {
        Node root;
        try {
            root = YamlText.compose(name, bytes, "a policy file", MAX_BYTES, 4);
        } catch (YamlText.YamlException e) {
            throw new PolicyException(e.getMessage());
        }
        Policy.Builder b = Policy.builder(name);
        if (root == null) {
            return b.build();
        }
        if (!(root instanceof MappingNode map)) {
            throw new PolicyException(at(name, root.getStartMark()) + ": expected rules as 'rule: value' lines");
        }
        Map<String, String> seen = new HashMap<>();
        for (NodeTuple t : map.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                throw new PolicyException(at(name, t.getKeyNode().getStartMark()) + ": a rule must be a name");
            }
            String key = k.getValue();
            String keyAt = at(name, k.getStartMark());
            if (!RULES.contains(key)) {
                throw new PolicyException(keyAt + ": unknown rule '" + key + "' (rules: " + String.join(", ", RULES)
                        + ")");
            }
            String before = seen.putIfAbsent(key, keyAt);
            if (before != null) {
                throw new PolicyException(keyAt + ": '" + key + "' is set twice (first at " + before + ")");
            }
            Node v = t.getValueNode();
            String where = at(name, v.getStartMark());
            switch (key) {
                case Policy.BINARIES -> b.binaries(new Rule<>(key, binaries(name, key, v), where));
                case Policy.USERS -> b.users(new Rule<>(key, users(name, key, v, uidOf), where));
                case Policy.KERNEL_PROBES -> b.kernelProbes(new Rule<>(key, bool(name, key, v), where));
                case Policy.MAX_PROBES_PER_SESSION ->
                        b.maxProbesPerSession(new Rule<>(key, limit(name, key, v), where));
                case Policy.MAX_EVENTS_PER_SECOND -> b.maxEventsPerSecond(new Rule<>(key, limit(name, key, v), where));
                case Policy.MAX_MAP_ENTRIES -> b.maxMapEntries(new Rule<>(key, limit(name, key, v), where));
                case Policy.MAX_OUTPUT_BYTES_PER_SECOND ->
                        b.maxOutputBytesPerSecond(new Rule<>(key, limit(name, key, v), where));
                default -> throw new IllegalStateException(key);
            }
        }
        return b.build();
    }

    private static List<BinaryPattern> binaries(String name, String key, Node v) throws PolicyException {
        List<BinaryPattern> out = new ArrayList<>();
        for (ScalarNode s : list(name, key, v, "paths, globs or build-id:HEX")) {
            try {
                out.add(BinaryPattern.of(s.getValue()));
            } catch (IllegalArgumentException e) {
                throw new PolicyException(at(name, s.getStartMark()) + ": " + key + ": " + e.getMessage());
            }
        }
        return List.copyOf(out);
    }

    private static Set<Integer> users(String name, String key, Node v, Function<String, OptionalInt> uidOf)
            throws PolicyException {
        Set<Integer> out = new LinkedHashSet<>();
        for (ScalarNode s : list(name, key, v, "user names or uids")) {
            String u = s.getValue();
            if (u.matches("[0-9]{1,10}")) {
                long uid = Long.parseLong(u);
                if (uid > Integer.MAX_VALUE) {
                    throw new PolicyException(at(name, s.getStartMark()) + ": " + key + ": uid " + u + " is too large");
                }
                out.add((int) uid);
            } else {
                OptionalInt uid = u.isEmpty() ? OptionalInt.empty() : uidOf.apply(u);
                if (uid.isEmpty()) {
                    throw new PolicyException(at(name, s.getStartMark()) + ": " + key + ": no user '" + u
                            + "' on this host");
                }
                out.add(uid.getAsInt());
            }
        }
        return java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(out));
    }

    private static List<ScalarNode> list(String name, String key, Node v, String what) throws PolicyException {
        if (!(v instanceof SequenceNode seq)) {
            throw new PolicyException(at(name, v.getStartMark()) + ": " + key + ": expected a list of " + what
                    + ", e.g. [a, b]");
        }
        List<ScalarNode> out = new ArrayList<>();
        for (Node item : seq.getValue()) {
            if (!(item instanceof ScalarNode s)) {
                throw new PolicyException(at(name, item.getStartMark()) + ": " + key + ": expected one of " + what
                        + " here");
            }
            out.add(s);
        }
        return out;
    }

    private static boolean bool(String name, String key, Node v) throws PolicyException {
        String s = v instanceof ScalarNode n ? n.getValue() : null;
        if ("true".equals(s)) {
            return true;
        }
        if ("false".equals(s)) {
            return false;
        }
        throw new PolicyException(at(name, v.getStartMark()) + ": " + key + ": expected true or false"
                + (s == null ? "" : ", not '" + s + "'"));
    }

    private static long limit(String name, String key, Node v) throws PolicyException {
        String s = v instanceof ScalarNode n ? n.getValue() : null;
        if (s != null && s.matches("[0-9]{1,18}") && Long.parseLong(s) > 0) {
            return Long.parseLong(s);
        }
        throw new PolicyException(at(name, v.getStartMark()) + ": " + key + ": expected a whole number above 0"
                + (s == null ? "" : ", not '" + s + "'"));
    }

    private static String at(String name, org.yaml.snakeyaml.error.Mark m) {
        return YamlText.at(name, m);
    }
}
