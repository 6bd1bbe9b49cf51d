package org.fleettap.cli.config;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * A Kafka client settings file ({@code --kafka-config}): Java properties ({@code key=value} lines, {@code #}
 * comments, {@code \} continuations and escapes, as {@link Properties#load(java.io.Reader)} reads them, in UTF-8),
 * read into settings that remember the line they start on, so that a setting fleettap refuses is reported where it
 * was written. Parses bytes and does no I/O.
 *
 * <p>Secrets are kept out of messages: {@link #describe(List)} hides the value of every key that {@link
 * #isSecret(String)}.
 */
public final class KafkaProperties {
    /** A file of client settings is small; anything larger is a mistake. */
    public static final int MAX_BYTES = 1 << 20;
    /** What a hidden value is shown as. */
    public static final String HIDDEN = "(hidden)";

    /** One setting, with the (1-based) line its key is on. */
    public record Setting(String key, String value, int line) {
        @Override
        public String toString() {
            return key + "=" + (isSecret(key) ? HIDDEN : value) + " (line " + line + ")";
        }
    }

    private KafkaProperties() {
    }

    /**
     * Reads {@code bytes}, named {@code name} in messages.
     *
     * @throws ConfigFile.ConfigException naming {@code name:line} for bytes that are not UTF-8, a malformed
     *     {@code \}{@code uXXXX} escape, a line without a key, or a key set twice
     */
    public static List<Setting> parse(String name, byte[] bytes) throws ConfigFile.ConfigException {
        if (bytes.length > MAX_BYTES) {
            throw new ConfigFile.ConfigException(name + ": " + bytes.length + " bytes is more than a Kafka client "
                    + "settings file may hold (" + MAX_BYTES + ")");
        }
        String text = decode(name, bytes);
        List<Setting> settings = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        int lineNumber = 0;
        int pos = 0;
        while (pos < text.length()) {
            // One logical line: a natural line, plus the ones its trailing backslash continues it with.
            int start = pos;
            int first = ++lineNumber;
            boolean comment = isCommentOrBlank(text, pos);
            int end = endOfLine(text, pos);
            while (!comment && continues(text, start, end) && end < text.length()) {
                pos = afterTerminator(text, end);
                lineNumber++;
                end = endOfLine(text, pos);
            }
            pos = afterTerminator(text, end);
            if (comment) {
                continue;
            }
            Properties one = new Properties();
            try {
                one.load(new StringReader(text.substring(start, end)));
            } catch (IllegalArgumentException e) {
                throw new ConfigFile.ConfigException(name + ":" + first + ": " + e.getMessage());
            } catch (IOException e) {
                throw new IllegalStateException("reading a string failed", e);
            }
            for (String key : one.stringPropertyNames()) {
                if (key.isBlank()) {
                    throw new ConfigFile.ConfigException(name + ":" + first + ": a setting without a name");
                }
                Integer before = seen.putIfAbsent(key, first);
                if (before != null) {
                    throw new ConfigFile.ConfigException(name + ":" + first + ": " + key + " is set twice (first on "
                            + "line " + before + ")");
                }
                settings.add(new Setting(key, one.getProperty(key), first));
            }
        }
        return List.copyOf(settings);
    }

    /**
     * Whether {@code key}'s value is a secret: {@code sasl.jaas.config} (and its per-listener forms), keys naming a
     * password or a secret, and {@code ssl.keystore.key} (a private key).
     */
    public static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.endsWith("sasl.jaas.config") || k.contains("password") || k.contains("secret")
                || k.endsWith("ssl.keystore.key");
    }

    /** {@code key=value, ...} in file order, secrets shown as {@value #HIDDEN}. */
    public static String describe(List<Setting> settings) {
        return settings.stream().map(s -> s.key() + "=" + (isSecret(s.key()) ? HIDDEN : s.value()))
                .collect(Collectors.joining(", "));
    }

    private static String decode(String name, byte[] bytes) throws ConfigFile.ConfigException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ConfigFile.ConfigException(name + ": not UTF-8 text");
        }
    }

    /** Whether the natural line at {@code pos} is blank or a comment (first non-blank is '#' or '!'). */
    private static boolean isCommentOrBlank(String text, int pos) {
        int i = pos;
        while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t' || text.charAt(i) == '\f')) {
            i++;
        }
        return i == text.length() || text.charAt(i) == '\n' || text.charAt(i) == '\r' || text.charAt(i) == '#'
                || text.charAt(i) == '!';
    }

    private static int endOfLine(String text, int pos) {
        int i = pos;
        while (i < text.length() && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
            i++;
        }
        return i;
    }

    private static int afterTerminator(String text, int end) {
        if (end < text.length() && text.charAt(end) == '\r') {
            end++;
        }
        if (end < text.length() && text.charAt(end) == '\n') {
            end++;
        }
        return end;
    }

    /** Whether the line ending at {@code end} ends with an odd number of backslashes (it continues). */
    private static boolean continues(String text, int start, int end) {
        int backslashes = 0;
        for (int i = end - 1; i >= start && text.charAt(i) == '\\'; i--) {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }
}
