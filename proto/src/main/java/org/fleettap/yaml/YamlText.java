package org.fleettap.yaml;

import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The small YAML files fleettap reads (a daemon's settings, an agent's policy, a collector's tokens) as SnakeYAML
 * nodes, which keep where each value was written, so that every error can name {@code file:line:col}. No aliases to
 * collections, bounded nesting and size: a file cannot mean two things or blow up. Parses bytes and does no I/O. It
 * lives here, in the module every other one depends on, so that agent, collector and CLI read YAML alike.
 */
public final class YamlText {
    private YamlText() {
    }

    /**
     * Composes {@code bytes} (UTF-8) named {@code name} in messages into its root node, null for an empty document.
     * Duplicate keys are left in the mapping for the caller to report with both places. {@code kind} names what the
     * file should be, for the error when it is larger than {@code maxBytes}.
     *
     * @throws YamlException one line: {@code name[:line:col]: what}
     */
    public static Node compose(String name, byte[] bytes, String kind, int maxBytes, int maxDepth)
            throws YamlException {
        if (bytes.length > maxBytes) {
            throw new YamlException(name + ": larger than " + (maxBytes >> 10) + " KiB; not " + kind);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new YamlException(name + ": not UTF-8 text");
        }
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(true);
        options.setMaxAliasesForCollections(0);
        options.setNestingDepthLimit(maxDepth);
        options.setCodePointLimit(maxBytes);
        try {
            return new Yaml(options).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
            throw new YamlException((m == null ? name : at(name, m)) + ": " + oneLine(problem));
        } catch (YAMLException e) {
            throw new YamlException(name + ": " + oneLine(e.getMessage()));
        }
    }

    /** {@code name:line:col}, 1-based, of {@code m}. */
    public static String at(String name, Mark m) {
        return name + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1);
    }

    private static String oneLine(String s) {
        return s == null ? "malformed YAML" : s.strip().replaceAll("\\s*\\n\\s*", " ");
    }

    /** A file that is not YAML as fleettap reads it; the message is one line. */
    public static final class YamlException extends Exception {
        private static final long serialVersionUID = 1L;

        public YamlException(String message) {
            super(message);
        }
    }
}
