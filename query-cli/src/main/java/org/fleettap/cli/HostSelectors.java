package org.fleettap.cli;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.fleettap.proto.v1.TargetSelector;
import picocli.CommandLine;

/**
 * Which hosts a command means, as users write it, and agent labels.
 *
 * <p>A selector is a comma-separated list of items, each either {@code KEY=VALUE} (a label the host must carry
 * with that value) or {@code host:NAME} (a host id). A host matches when it carries every label given and, if any
 * {@code host:} item is given, its id is one of them: {@code zone=eu-1,role=db} picks the database hosts of
 * eu-1, {@code host:web1,host:web2} two hosts by name, {@code zone=eu-1,host:web1} web1 if it is in eu-1. Without
 * a selector, every host matches. Agent labels ({@code --labels}) are the {@code KEY=VALUE} items alone.
 */
final class HostSelectors {
    /** The collector's limits on a registration (proto/README.md). */
    static final int MAX_LABELS = 64;
    static final int MAX_LABEL_BYTES = 256;
    static final String HOST_PREFIX = "host:";
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]*");

    private HostSelectors() {
    }

    /** Parses a selector; the exception's message says what is wrong, in one line. */
    static TargetSelector parse(String text) {
        Map<String, String> labels = new LinkedHashMap<>();
        Set<String> hosts = new LinkedHashSet<>();
        for (String item : items(text, "selector")) {
            if (item.startsWith(HOST_PREFIX)) {
                String name = item.substring(HOST_PREFIX.length()).strip();
                if (name.isEmpty()) {
                    throw new IllegalArgumentException("'" + item + "' names no host (expected host:NAME)");
                }
                hosts.add(name);
            } else if (item.contains("=")) {
                label(item, labels);
            } else {
                throw new IllegalArgumentException("'" + item + "' is neither KEY=VALUE nor host:NAME");
            }
        }
        return TargetSelector.newBuilder().putAllLabels(labels).addAllHostIds(hosts).build();
    }

    /** Parses agent labels, {@code KEY=VALUE,...}, within the collector's limits. */
    static Map<String, String> labels(String text) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (String item : items(text, "label list")) {
            if (!item.contains("=")) {
                throw new IllegalArgumentException("'" + item + "' is not KEY=VALUE");
            }
            label(item, labels);
        }
        if (labels.size() > MAX_LABELS) {
            throw new IllegalArgumentException(labels.size() + " labels, more than the limit of " + MAX_LABELS);
        }
        return labels;
    }

    /** The selector as {@link #parse} reads it (labels sorted), or {@code *} for every host. */
    static String format(TargetSelector s) {
        List<String> items = new ArrayList<>();
        new TreeMap<>(s.getLabelsMap()).forEach((k, v) -> items.add(k + "=" + v));
        s.getHostIdsList().forEach(h -> items.add(HOST_PREFIX + h));
        return items.isEmpty() ? "*" : String.join(",", items);
    }

    private static List<String> items(String text, String what) {
        List<String> items = new ArrayList<>();
        for (String raw : text.split(",", -1)) {
            String item = raw.strip();
            if (item.isEmpty()) {
                throw new IllegalArgumentException(text.isBlank() ? "empty " + what
                        : "empty item in " + what + " '" + text + "'");
            }
            items.add(item);
        }
        return items;
    }

    private static void label(String item, Map<String, String> labels) {
        int eq = item.indexOf('=');
        String key = item.substring(0, eq).strip();
        String value = item.substring(eq + 1).strip();
        if (!KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("'" + item + "': bad label key '" + key
                    + "' (letters, digits, '.', '_', '/' and '-', starting with a letter or digit)");
        }
        if (value.isEmpty()) {
            throw new IllegalArgumentException("'" + item + "': label " + key + " has no value");
        }
        if (bytes(key) > MAX_LABEL_BYTES || bytes(value) > MAX_LABEL_BYTES) {
            throw new IllegalArgumentException("label " + key + " is longer than the limit of " + MAX_LABEL_BYTES
                    + " bytes for a key or value");
        }
        String before = labels.putIfAbsent(key, value);
        if (before != null && !before.equals(value)) {
            throw new IllegalArgumentException("label " + key + " is given twice ('" + before + "' and '" + value
                    + "')");
        }
    }

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** For --hosts options. */
    static final class SelectorConverter implements CommandLine.ITypeConverter<TargetSelector> {
        @Override
        public TargetSelector convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
