package org.fleettap.helm;

import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The chart under {@code helm/fleettap} as Helm 3 itself lints and renders it (the Helm library that helm-java
 * ships in its jar, so no helm binary and no network are needed), with values given as nested maps.
 */
final class Chart {
    static final Path DIRECTORY = Paths.get(System.getProperty("fleettap.chart", "../helm/fleettap"))
            .toAbsolutePath().normalize();
    /** The release and namespace every test renders: resource names start with "prod-fleettap". */
    static final String RELEASE = "prod";
    static final String NAMESPACE = "tracing";
    /** The cluster's version Helm assumes (its own default, 1.20, is below the chart's kubeVersion). */
    static final String KUBE_VERSION = "1.31.0";

    private Chart() {
    }

    /** {@code helm lint --strict} of the chart with its own values. */
    static LintResult lintStrict(Path chart) {
        return new Helm(chart).lint().strict().call();
    }

    /**
     * {@code helm template prod helm/fleettap --namespace tracing --kube-version 1.31.0 -f VALUES}: every manifest, in
     * the order Helm prints them.
     *
     * @throws IllegalStateException with Helm's message when the values or the templates are refused
     */
    static List<Manifest> render(Path scratch, Map<String, ?> values) {
        TemplateCommand template = new Helm(DIRECTORY).template().withName(RELEASE).withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        if (!values.isEmpty()) {
            template = template.withValuesFile(valuesFile(scratch, values));
        }
        String yaml = template.call();
        List<Manifest> manifests = new ArrayList<>();
        for (Object document : new Yaml(new LoaderOptions()).loadAll(yaml)) {
            if (document != null) {
                manifests.add(new Manifest(cast(document)));
            }
        }
        return manifests;
    }

    /**
     * The notes Helm prints after {@code helm install prod helm/fleettap --namespace tracing -f VALUES} (a
     * client-only dry run: no cluster).
     */
    static String notes(Path scratch, Map<String, ?> values) {
        InstallCommand install = new Helm(DIRECTORY).install().withName(RELEASE).withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION).clientOnly().dryRun().withDryRunOption(DryRun.CLIENT);
        if (!values.isEmpty()) {
            install = install.withValuesFile(valuesFile(scratch, values));
        }
        String output = install.call().getOutput();
        int start = output.indexOf("\nNOTES:\n");
        if (start < 0) {
            throw new AssertionError("no NOTES in Helm's output:\n" + output);
        }
        return output.substring(start + "\nNOTES:\n".length());
    }

    private static Path valuesFile(Path scratch, Map<String, ?> values) {
        Path file = scratch.resolve("values-" + System.nanoTime() + ".yaml");
        try {
            Files.writeString(file, new Yaml().dump(values));
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
        return file;
    }

    /** The one manifest of this kind and name. */
    static Manifest find(List<Manifest> manifests, String kind, String name) {
        List<Manifest> found = manifests.stream().filter(m -> m.kind().equals(kind) && m.name().equals(name))
                .toList();
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " manifests " + kind + " " + name + " among "
                    + manifests.stream().map(m -> m.kind() + " " + m.name()).toList());
        }
        return found.get(0);
    }

    /** The collector's and the agents' TLS Secrets as the chart's README names them. */
    static final String COLLECTOR_SECRET = "fleettap-collector-tls";
    static final String AGENT_SECRET = "fleettap-agent-tls";

    /**
     * {@link #values} with both TLS Secrets set first (a later path can replace them): the chart renders nothing
     * without them unless {@code insecure} is true.
     */
    static Map<String, Object> secureValues(Object... pathsAndValues) {
        Object[] all = new Object[pathsAndValues.length + 4];
        all[0] = "tls.collectorSecret";
        all[1] = COLLECTOR_SECRET;
        all[2] = "tls.agentSecret";
        all[3] = AGENT_SECRET;
        System.arraycopy(pathsAndValues, 0, all, 4, pathsAndValues.length);
        return values(all);
    }

    /**
     * Values from dotted paths and their values, e.g. {@code values("kafka.bootstrap", "k:9092")} is
     * {@code {kafka: {bootstrap: k:9092}}}.
     */
    static Map<String, Object> values(Object... pathsAndValues) {
        if (pathsAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("paths and values come in pairs");
        }
        Map<String, Object> root = new LinkedHashMap<>();
        for (int i = 0; i < pathsAndValues.length; i += 2) {
            String[] keys = ((String) pathsAndValues[i]).split("\\.");
            Map<String, Object> node = root;
            for (int k = 0; k < keys.length - 1; k++) {
                node = cast(node.computeIfAbsent(keys[k], x -> new LinkedHashMap<String, Object>()));
            }
            node.put(keys[keys.length - 1], pathsAndValues[i + 1]);
        }
        return root;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> cast(Object map) {
        return (Map<String, Object>) Objects.requireNonNull(map, "a YAML mapping");
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object list) {
        return (List<Object>) Objects.requireNonNull(list, "a YAML sequence");
    }
}
