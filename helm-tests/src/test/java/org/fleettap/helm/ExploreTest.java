package org.fleettap.helm;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExploreTest {
    @TempDir Path dir;
    @Test
    void explore() throws Exception {
        var lint = Chart.lintStrict(Chart.DIRECTORY);
        System.out.println("LINT failed=" + lint.isFailed() + " " + lint.getMessages());
        System.out.println(new com.marcnuri.helm.Helm(Chart.DIRECTORY).template().withName("prod").withNamespace("tracing").withKubeVersion("1.31.0").call());
        for (Map<String, Object> v : java.util.List.of(Chart.values("agent.labelz", Map.of()), Chart.values("collector.port", "7420"),
                Chart.values("kafka.topic", "t"), Chart.values("agent.labels", Map.of("zone", "a,b")))) {
            try { Chart.render(dir, v); System.out.println("NO ERROR " + v); }
            catch (Exception e) { System.out.println("ERR " + e.getClass() + ": " + e.getMessage()); }
        }
    }
}
