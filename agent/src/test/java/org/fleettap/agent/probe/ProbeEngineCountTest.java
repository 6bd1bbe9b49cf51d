package org.fleettap.agent.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.agent.testing.Oracles;
import org.junit.jupiter.api.Test;

class ProbeEngineCountTest {

    private static UprobeSite site(Path bin, String fn, boolean ret) throws Exception {
        return new UprobeSite(ProbePointParser.parse("process(\"" + bin + "\").function(\"" + fn + "\")"), fn, bin,
                Oracles.functionFileOffset(bin, fn), ret, 0, List.of(), List.of());
    }

    @Test
    void countsEveryCallOfTheTalksLoopFromExec() throws Exception {
        Path loop = Fixtures.path("loop");
        try (ProbeEngine engine = ProbeEngine.attach(List.of(site(loop, "f", false), site(loop, "f", true)),
                Target.command(List.of(loop.toString())), ProbeEngine.Mode.COUNT)) {
            engine.start();
            int status = engine.command().orElseThrow().waitFor();
            assertThat(status).isEqualTo(10000 & 0xff);
            assertThat(engine.hits(0)).isEqualTo(10000);
            assertThat(engine.hits(1)).isEqualTo(10000);
        }
    }
}
