package org.fleettap.cli.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.fleettap.yaml.YamlText;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A daemon's YAML config file, read into settings that each remember where they were written.
 *
 * <p>The file is one mapping; its keys are the daemon's long option names without the dashes ({@code collector},
 * {@code spool-max}, ...). A value is a scalar, a list of scalars (joined with commas, as the option takes them) or,
 * for {@code labels}, a mapping of scalars ({@code {zone: eu-1}} is {@code zone=eu-1}). Nothing else: anchors
 * referring to collections, nested mappings and tags are refused, so a file cannot mean two things. Parses bytes and
 * does no I/O.
 */
public final class ConfigFile {
    /** A file of settings is small; anything larger is a mistake. */
    public static final int MAX_BYTES = 1 << 20;

    /** One key and its value as the option would take it, with where it was written ("file:line:col"). */
    public record Setting(String key, String value, String where) {}

    private ConfigFile() {
    }

    /**
     * Reads {@code bytes} (UTF-8) named {@code name} in messages.
     *
     * @throws ConfigException naming file:line:col for a malformed file, a duplicate key or a value of the wrong
     *     shape
     */
    public static List<Setting> parse(String name, byte[] bytes) throws ConfigException {
        Node root;
        try {
            root = YamlText.compose(name, bytes, "a config file", MAX_BYTES, 8);
        } catch (YamlText.YamlException e) {
            throw new ConfigException(e.getMessage());
        }
        if (root == null) {
            return List.of();
        }
        if (!(root instanceof MappingNode map)) {
            throw new ConfigException(at(name, root.getStartMark()) + ": expected settings as 'key: value' lines");
        }
        List<Setting> settings = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (NodeTuple t : map.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                throw new ConfigException(at(name, t.getKeyNode().getStartMark()) + ": a key must be a name");
            }
            String where = at(name, k.getStartMark());
            if (!seen.add(k.getValue())) {
                throw new ConfigException(where + ": '" + k.getValue() + "' is set twice");
            }
            settings.add(new Setting(k.getValue(), value(name, k.getValue(), t.getValueNode()),
                    at(name, t.getValueNode().getStartMark())));
        }
        return List.copyOf(settings);
    }

    private static String value(String name, String key, Node node) throws ConfigException {
        if (node instanceof ScalarNode s) {
            return s.getValue();
        }
        List<String> parts = new ArrayList<>();
        if (node instanceof SequenceNode seq) {
            for (Node item : seq.getValue()) {
                parts.add(scalar(name, key, item));
            }
            return String.join(",", parts);
        }
        if (node instanceof MappingNode m && key.equals("labels")) {
            for (NodeTuple t : m.getValue()) {
                parts.add(scalar(name, key, t.getKeyNode()) + "=" + scalar(name, key, t.getValueNode()));
            }
            return String.join(",", parts);
        }
        throw new ConfigException(at(name, node.getStartMark()) + ": " + key + ": expected a value or a list of values");
    }

    private static String scalar(String name, String key, Node node) throws ConfigException {
        if (node instanceof ScalarNode s) {
            return s.getValue();
        }
        throw new ConfigException(at(name, node.getStartMark()) + ": " + key + ": expected a plain value here");
    }

    private static String at(String name, Mark m) {
        return YamlText.at(name, m);
    }

    /** A config file that cannot be used; the message names file:line:col and says why. */
    public static final class ConfigException extends Exception {
        private static final long serialVersionUID = 1L;

        public ConfigException(String message) {
            super(message);
        }
    }
}
