package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Everything attached is detached when fleettap stops: on SIGINT, on SIGTERM, and (tracefs) after SIGKILL. */
class ExitPathsIT {
    private static final Path UPROBE_EVENTS = Path.of("/sys/kernel/tracing/uprobe_events");
    private static final String LOOP_F = "process(\"./examples/loop\").function(\"f\")";

    @Test
    void sigtermPrintsTheCountsSoFarAndDetaches(@TempDir Path dir) throws Exception {
        File out = dir.resolve("out").toFile();
        File err = dir.resolve("err").toFile();
        Process p = Fleettap.start(out, err, "count", "-v", LOOP_F);
        Fleettap.waitFor(() -> Fleettap.read(err).contains("attached 1 sites"), "fleettap to attach");
        run(Fleettap.ROOT.resolve("examples/loop").toString(), "3000");
        run(Fleettap.ROOT.resolve("examples/loop").toString(), "2000");
        p.destroy(); // SIGTERM
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(Fleettap.read(out)).isEqualTo("5000\n");
        assertThat(Fleettap.read(err)).contains("detached");
    }

    @Test
    void sigintRemovesTracefsEventsAndStopsTheCommand(@TempDir Path dir) throws Exception {
        File out = dir.resolve("out").toFile();
        File err = dir.resolve("err").toFile();
        Process p = Fleettap.start(out, err, "count", "-v", "-c", "./examples/loop 1000000000", LOOP_F);
        String group = "fleettap_" + p.pid() + "/";
        Fleettap.waitFor(() -> Fleettap.read(err).contains("attached 1 sites"), "fleettap to attach");
        assertThat(events()).contains(group);
        long loopPid = childPid(p);
        Fleettap.waitFor(() -> comm(loopPid).equals("loop"), "the command to exec");
        Thread.sleep(200);
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(Long.parseLong(Fleettap.read(out).strip())).isPositive();
        assertThat(events()).doesNotContain(group);
        assertThat(Files.exists(Path.of("/proc", Long.toString(loopPid)))).isFalse();
    }

    @Test
    void afterSigkillOnlyTracefsEventsRemainAndTheNextStartRemovesThem(@TempDir Path dir) throws Exception {
        File out = dir.resolve("out").toFile();
        File err = dir.resolve("err").toFile();
        Process p = Fleettap.start(out, err, "count", "-c", "./examples/loop 1000000000", LOOP_F);
        String group = "fleettap_" + p.pid() + "/";
        Fleettap.waitFor(() -> events().contains(group), "the tracefs event of fleettap's -c target");
        long loopPid = childPid(p);
        p.destroyForcibly(); // SIGKILL: no chance to clean up
        p.waitFor(30, TimeUnit.SECONDS);
        new ProcessBuilder("kill", "-KILL", Long.toString(loopPid)).start().waitFor();
        assertThat(events()).contains(group);

        Fleettap.Result next = Fleettap.run("count", "-c", "./examples/loop", LOOP_F);
        assertThat(next.stdout()).isEqualTo("10000\n");
        assertThat(events()).doesNotContain(group);
    }

    private static long childPid(Process p) {
        return p.toHandle().children().findFirst().orElseThrow().pid();
    }

    private static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static String events() {
        try {
            return Files.readString(UPROBE_EVENTS);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).start();
        p.waitFor(60, TimeUnit.SECONDS);
    }
}
