package org.fleettap.helm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What the kubelet puts in a pod's Secret and ConfigMap volumes, made on this machine in the directories
 * {@link PodCommand} moves the pod's paths to ({@code scratch/VOLUME}): the data of the ConfigMaps and Secrets the
 * chart renders itself, or, for a Secret the chart only names (the TLS Secrets a user creates with kubectl), the
 * files of the directory the test gives for it, as {@code kubectl create secret generic --from-file=DIR} takes them.
 * A volume's {@code items} choose and rename keys, and a key it names that is missing fails, as the pod would not
 * start; {@code defaultMode} becomes the files' permissions.
 */
final class PodVolumes {
    private PodVolumes() {
    }

    /**
     * Fills every Secret and ConfigMap volume of the workload's pod.
     *
     * @param chart every manifest of the same render, where the chart's own ConfigMaps and Secrets are found
     * @param secrets Secrets the chart does not render, by name: the directory whose files are their keys
     */
    static void fill(Manifest workload, List<Manifest> chart, Path scratch, Map<String, Path> secrets)
            throws IOException {
        for (Object o : Chart.list(workload.podSpec().get("volumes"))) {
            Map<String, Object> volume = Chart.cast(o);
            String name = (String) volume.get("name");
            Map<String, Object> source;
            Map<String, byte[]> data;
            if (volume.containsKey("secret")) {
                source = Chart.cast(volume.get("secret"));
                data = secretData(chart, (String) source.get("secretName"), secrets);
            } else if (volume.containsKey("configMap")) {
                source = Chart.cast(volume.get("configMap"));
                data = configMapData(chart, (String) source.get("name"));
            } else {
                continue;
            }
            Path dir = Files.createDirectories(scratch.resolve(name));
            Integer mode = (Integer) source.get("defaultMode");
            for (Map.Entry<String, String> file : files(workload, name, source, data.keySet()).entrySet()) {
                Path target = dir.resolve(file.getValue());
                Files.write(target, data.get(file.getKey()));
                if (mode != null) {
                    Files.setPosixFilePermissions(target, permissions(mode));
                }
            }
        }
    }

    /** Key to file name: every key under its own name, or only the volume's items. */
    private static Map<String, String> files(Manifest workload, String volume, Map<String, Object> source,
            Set<String> keys) {
        Map<String, String> files = new LinkedHashMap<>();
        if (!source.containsKey("items")) {
            keys.forEach(k -> files.put(k, k));
            return files;
        }
        for (Object o : Chart.list(source.get("items"))) {
            Map<String, Object> item = Chart.cast(o);
            String key = (String) item.get("key");
            if (!keys.contains(key)) {
                throw new AssertionError(workload.name() + ": volume " + volume + " needs key " + key + ", which its "
                        + "source lacks (it has " + keys + "): the pod would not start");
            }
            files.put(key, (String) item.get("path"));
        }
        return files;
    }

    private static Map<String, byte[]> secretData(List<Manifest> chart, String name, Map<String, Path> secrets)
            throws IOException {
        List<Manifest> rendered = chart.stream().filter(m -> m.kind().equals("Secret") && m.name().equals(name))
                .toList();
        Map<String, byte[]> data = new LinkedHashMap<>();
        if (!rendered.isEmpty()) {
            Map<String, Object> yaml = rendered.get(0).yaml();
            if (yaml.get("data") != null) {
                Chart.cast(yaml.get("data")).forEach((k, v) -> data.put(k, Base64.getDecoder().decode((String) v)));
            }
            if (yaml.get("stringData") != null) {
                Chart.cast(yaml.get("stringData")).forEach((k, v) -> data.put(k, utf8((String) v)));
            }
            return data;
        }
        Path dir = secrets.get(name);
        if (dir == null) {
            throw new AssertionError("Secret " + name + " is neither rendered by the chart nor given by the test");
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                data.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
        }
        return data;
    }

    private static Map<String, byte[]> configMapData(List<Manifest> chart, String name) {
        Manifest configMap = Chart.find(chart, "ConfigMap", name);
        Map<String, byte[]> data = new LinkedHashMap<>();
        Chart.cast(configMap.yaml().get("data")).forEach((k, v) -> data.put(k, utf8((String) v)));
        return data;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The permissions of an octal mode's low nine bits. */
    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }
}
