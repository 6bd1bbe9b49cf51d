package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code fleettap run}: the talk's scripts as a user runs them. */
class RunCommandIT {

    @Test
    void theTalksFirstExample() {
        Fleettap.Result r = Fleettap.run("run", "examples/loop.stp", "-c", "examples/loop");
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdout()).isEqualTo("10000 vs 10000\n");
        assertThat(r.exit()).isZero();
    }

    @Test
    void guruModeIsRefusedWithTheLocationOfTheEmbeddedC() {
        Fleettap.Result r = Fleettap.run("run", "examples/guru.stp");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).startsWith("examples/guru.stp:3:")
                .contains("error: embedded C is refused: no script may write to a traced process");
        Fleettap.Result g = Fleettap.run("run", "-g", "-e", "probe begin { exit() }");
        assertThat(g.exit()).isEqualTo(1);
        assertThat(g.stderr()).isEqualTo("fleettap: -g (guru mode) is refused: no script may write to a traced "
                + "process or load code into the kernel\n");
    }

    @Test
    void syntaxErrorsNameFileLineAndColumnWithACaret() {
        Fleettap.Result r = Fleettap.run("run", "-e", "probe begin { printf(\"%d\\n\", 1 + ) }");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        String[] lines = r.stderr().split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).startsWith("<input>:1:").contains(": error: ");
        assertThat(lines[1]).isEqualTo("probe begin { printf(\"%d\\n\", 1 + ) }");
        assertThat(lines[2].trim()).isEqualTo("^");
    }
}
