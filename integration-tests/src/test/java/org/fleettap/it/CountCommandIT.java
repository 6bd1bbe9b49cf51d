package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main job and the count command's errors, as a user sees them. */
class CountCommandIT {

    private static final String LOOP_F = "process(\"./examples/loop\").function(\"f\")";

    @Test
    void readmeMainJobPrintsTheTalksCount() {
        Fleettap.Result r = Fleettap.run("count", "-c", "./examples/loop", LOOP_F);
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdout()).isEqualTo("10000\n");
        assertThat(r.exit()).isZero();
    }

    @Test
    void entryAndReturnCountedSideBySide() {
        Fleettap.Result r = Fleettap.run("count", "-c", "./examples/loop 2500", LOOP_F,
                "process(\"./examples/loop\").function(\"f\").return",
                "process(\"./examples/loop\").function(\"main\")");
        assertThat(r.stdout()).isEqualTo("2500 " + LOOP_F + "\n"
                + "2500 process(\"./examples/loop\").function(\"f\").return\n"
                + "   1 process(\"./examples/loop\").function(\"main\")\n");
        assertThat(r.exit()).isZero();
    }

    @Test
    void unknownFunctionSuggestsTheClosestNames() {
        Fleettap.Result r = Fleettap.run("count", "-c", "./examples/loop", "process(\"./examples/loop\").function(\"fx\")");
        assertOneLineError(r, "no function matches 'fx' in ");
        assertThat(r.stderr()).contains("did you mean: f");
    }

    @Test
    void missingBinaryIsOneLine() {
        Fleettap.Result r = Fleettap.run("count", "process(\"/no/such/prog\").function(\"f\")");
        assertOneLineError(r, "/no/such/prog: no such file");
    }

    @Test
    void nonElfFileIsOneLine(@TempDir Path dir) throws IOException {
        Path text = dir.resolve("notelf");
        Files.writeString(text, "#!/bin/sh\necho hi\n");
        Fleettap.Result r = Fleettap.run("count", "process(\"" + text + "\").function(\"f\")");
        assertOneLineError(r, text + ": not an ELF file");
    }

    @Test
    void thirtyTwoBitElfIsRefused(@TempDir Path dir) throws IOException {
        Path elf32 = dir.resolve("elf32");
        byte[] header = new byte[52];
        header[0] = 0x7f;
        header[1] = 'E';
        header[2] = 'L';
        header[3] = 'F';
        header[4] = 1; // ELFCLASS32
        header[5] = 1; // little-endian
        header[6] = 1;
        Files.write(elf32, header);
        Fleettap.Result r = Fleettap.run("count", "process(\"" + elf32 + "\").function(\"f\")");
        assertOneLineError(r, "32-bit");
    }

    @Test
    void unknownTracepointIsOneLine() {
        Fleettap.Result r = Fleettap.run("count", "kernel.trace(\"sched:sched_swich\")");
        assertOneLineError(r, "sched:sched_swich");
        assertThat(r.stderr()).contains("sched:sched_switch");
    }

    @Test
    void kernelFunctionNamesTheMissingFeature() {
        Fleettap.Result r = Fleettap.run("count", "kernel.function(\"do_sys_open\")");
        assertOneLineError(r, "kprobes (CONFIG_KPROBES) is not available on this kernel");
    }

    @Test
    void badProbeSyntaxNamesTheColumn() {
        Fleettap.Result r = Fleettap.run("count", "process(\"./examples/loop\".function(\"f\")");
        assertOneLineError(r, "col 26: expected ')'");
    }

    @Test
    void withoutPrivilegesSaysWhatIsNeeded() {
        Fleettap.Result r = Fleettap.runAs(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all"), "count", "-c", "./examples/loop", LOOP_F);
        assertOneLineError(r, "must run as root (or with CAP_PERFMON and CAP_SYS_ADMIN) to attach probes");
    }

    @Test
    void badCommandLinesAreOneLineWithExitStatusTwo() {
        Fleettap.Result r = Fleettap.run("count", "--frobnicate", LOOP_F);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).isEqualTo("fleettap: Unknown option: '--frobnicate' (see 'fleettap count --help')\n");
        Fleettap.Result missing = Fleettap.run("count");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.stderrLines()).hasSize(1);
        Fleettap.Result both = Fleettap.run("count", "-c", "./examples/loop", "-x", "1", LOOP_F);
        assertOneLineError(both, "-c and -x cannot be used together");
        Fleettap.Result duration = Fleettap.run("count", "--duration", "soon", LOOP_F);
        assertOneLineError(duration, "bad duration 'soon' (expected e.g. 500ms, 10s, 2m, 1h)");
    }

    private static void assertOneLineError(Fleettap.Result r, String expected) {
        assertThat(r.exit()).as("exit status; stderr: %s", r.stderr()).isNotZero();
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderrLines()).hasSize(1);
        assertThat(r.stderr()).startsWith("fleettap: ").contains(expected).doesNotContain("internal error");
    }
}
