package org.fleettap.helm;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One rendered Kubernetes object, as parsed YAML, with the few paths the tests read named (the pod spec of a
 * workload, a container, its volume mounts).
 */
record Manifest(Map<String, Object> yaml) {

    String kind() {
        return (String) yaml.get("kind");
    }

    String name() {
        return (String) Chart.cast(yaml.get("metadata")).get("name");
    }

    Map<String, Object> spec() {
        return Chart.cast(yaml.get("spec"));
    }

    /** The pod template's spec of a DaemonSet or StatefulSet. */
    Map<String, Object> podSpec() {
        return Chart.cast(Chart.cast(spec().get("template")).get("spec"));
    }

    /** The pod template's annotations; null when it has none. */
    Map<String, Object> podAnnotations() {
        Object annotations = Chart.cast(Chart.cast(spec().get("template")).get("metadata")).get("annotations");
        return annotations == null ? null : Chart.cast(annotations);
    }

    Map<String, Object> podLabels() {
        return Chart.cast(Chart.cast(Chart.cast(spec().get("template")).get("metadata")).get("labels"));
    }

    Map<String, Object> container(String name) {
        return Chart.list(podSpec().get("containers")).stream().map(Chart::cast)
                .filter(c -> name.equals(c.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name + " in " + kind() + " " + name()));
    }

    /** The container's args, each a string. */
    List<String> args(String container) {
        return Chart.list(container(container).get("args")).stream().map(String.class::cast).toList();
    }

    List<Map<String, Object>> volumeMounts(String container) {
        return Chart.list(container(container).get("volumeMounts")).stream().map(Chart::cast).toList();
    }

    /** The pod volume of this name. */
    Optional<Map<String, Object>> volume(String name) {
        return Chart.list(podSpec().get("volumes")).stream().map(Chart::cast).filter(v -> name.equals(v.get("name")))
                .findFirst();
    }
}
