package org.fleettap.helm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command line one container of a rendered workload runs, made runnable on this machine: {@code $(VAR)}
 * references expanded from the container's env as the kubelet expands them, every path moved from the volume that
 * holds it into a directory of its own under a scratch root, and the network addresses the test chooses put in
 * place of the cluster's. Anything the pod would not find — a path in no volume, an address flag the chart no
 * longer renders — fails instead of being passed on.
 */
final class PodCommand {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    private PodCommand() {
    }

    /**
     * The container's args, ready to give to {@code fleettap}.
     *
     * @param nodeName what {@code spec.nodeName} is on the pretend node
     * @param scratch where each volume's directory is made ({@code scratch/VOLUME})
     * @param addresses option name to the value that replaces the rendered one, e.g. {@code --listen} to
     *     {@code 127.0.0.1:0}
     */
    static List<String> args(Manifest workload, String container, String nodeName, Path scratch,
            Map<String, String> addresses) {
        Map<String, Object> c = workload.container(container);
        if (!List.of("fleettap").equals(c.get("command"))) {
            throw new AssertionError(workload.name() + " runs " + c.get("command") + ", not fleettap");
        }
        Map<String, String> env = env(c, nodeName);
        Map<String, Path> mounts = new HashMap<>();
        for (Map<String, Object> m : workload.volumeMounts(container)) {
            mounts.put((String) m.get("mountPath"), scratch.resolve((String) m.get("name")));
        }
        Set<String> replaced = new HashSet<>();
        List<String> out = new ArrayList<>();
        for (String arg : workload.args(container)) {
            String expanded = expand(arg, env);
            int eq = expanded.indexOf('=');
            String option = eq > 0 ? expanded.substring(0, eq) : expanded;
            String value = eq > 0 ? expanded.substring(eq + 1) : null;
            if (value != null && addresses.containsKey(option)) {
                out.add(option + "=" + addresses.get(option));
                replaced.add(option);
            } else if (value != null && value.startsWith("/")) {
                out.add(option + "=" + inVolume(workload.name(), option, value, mounts));
            } else {
                out.add(expanded);
            }
        }
        Set<String> missing = new HashSet<>(addresses.keySet());
        missing.removeAll(replaced);
        if (!missing.isEmpty()) {
            throw new AssertionError(workload.name() + " renders no " + missing + " in " + workload.args(container));
        }
        return out;
    }

    /** The container's env as the kubelet resolves it: literal values, and the pod's node name by field ref. */
    private static Map<String, String> env(Map<String, Object> container, String nodeName) {
        Map<String, String> env = new HashMap<>();
        Object list = container.get("env");
        if (list == null) {
            return env;
        }
        for (Object o : Chart.list(list)) {
            Map<String, Object> e = Chart.cast(o);
            String name = (String) e.get("name");
            if (e.containsKey("value")) {
                env.put(name, (String) e.get("value"));
            } else {
                Map<String, Object> fieldRef = Chart.cast(Chart.cast(e.get("valueFrom")).get("fieldRef"));
                if (!"spec.nodeName".equals(fieldRef.get("fieldPath"))) {
                    throw new AssertionError("env " + name + " refers to " + fieldRef + ", which this test does not "
                            + "provide");
                }
                env.put(name, nodeName);
            }
        }
        return env;
    }

    /** Expands $(VAR) as Kubernetes does; a reference to a variable the container lacks stays as written. */
    private static String expand(String arg, Map<String, String> env) {
        Matcher m = REFERENCE.matcher(arg);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(env.getOrDefault(m.group(1), m.group())));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static String inVolume(String workload, String option, String path, Map<String, Path> mounts) {
        for (Map.Entry<String, Path> m : mounts.entrySet()) {
            String mountPath = m.getKey();
            if (path.equals(mountPath)) {
                return m.getValue().toString();
            }
            if (path.startsWith(mountPath + "/")) {
                return m.getValue().resolve(path.substring(mountPath.length() + 1)).toString();
            }
        }
        throw new AssertionError(workload + ": " + option + "=" + path + " is in none of the pod's volumes "
                + mounts.keySet() + " (lost with the container, or on a read-only root)");
    }
}
