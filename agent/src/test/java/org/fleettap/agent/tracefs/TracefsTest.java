package org.fleettap.agent.tracefs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.internal.sys.Errno;
import org.fleettap.agent.internal.sys.NativeException;
import org.fleettap.agent.internal.sys.Syscalls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TracefsTest {
    private static final String BASE_MOUNTS = """
            sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
            proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
            """;

    private final List<String> mounts = new ArrayList<>();

    private Tracefs.Mounter recording(int errno) {
        return (source, target, type) -> {
            mounts.add(source + " " + target + " " + type);
            if (errno != 0) {
                throw new NativeException("mount " + type + " on " + target, errno);
            }
        };
    }

    @Test
    void usesTracefsAlreadyMountedAtSysKernelTracing() throws Exception {
        Tracefs t = Tracefs.locate(BASE_MOUNTS + "nodev /sys/kernel/tracing tracefs rw,relatime 0 0\n",
                recording(0), p -> false);

        assertThat(t.root()).isEqualTo(Path.of("/sys/kernel/tracing"));
        assertThat(mounts).isEmpty();
    }

    @Test
    void mountsTracefsWhenNotMounted() throws Exception {
        Tracefs t = Tracefs.locate(BASE_MOUNTS, recording(0), p -> false);

        assertThat(t.root()).isEqualTo(Path.of("/sys/kernel/tracing"));
        assertThat(mounts).containsExactly("nodev /sys/kernel/tracing tracefs");
    }

    @Test
    void aDebugfsMountAtSysKernelTracingDoesNotCount() throws Exception {
        Tracefs t = Tracefs.locate(BASE_MOUNTS + "debugfs /sys/kernel/tracing debugfs rw 0 0\n", recording(0),
                p -> false);

        assertThat(t.root()).isEqualTo(Path.of("/sys/kernel/tracing"));
        assertThat(mounts).containsExactly("nodev /sys/kernel/tracing tracefs");
    }

    @Test
    void fallsBackToTracefsMountedElsewhereWhenMountingFails() throws Exception {
        Tracefs t = Tracefs.locate(BASE_MOUNTS + "tracefs /mnt/my\\040trace tracefs rw 0 0\n",
                recording(Errno.EPERM), p -> false);

        assertThat(t.root()).isEqualTo(Path.of("/mnt/my trace"));
    }

    @Test
    void fallsBackToDebugfsWhenMountingFails() throws Exception {
        List<Path> probed = new ArrayList<>();
        Tracefs t = Tracefs.locate(BASE_MOUNTS + "debugfs /sys/kernel/debug debugfs rw 0 0\n",
                recording(Errno.EPERM), p -> probed.add(p));

        assertThat(t.root()).isEqualTo(Path.of("/sys/kernel/debug/tracing"));
        assertThat(probed).containsExactly(Path.of("/sys/kernel/debug/tracing"));
    }

    @Test
    void missingTracefsIsAMissingFeatureNamingWhatWasTried() {
        assertThatThrownBy(() -> Tracefs.locate(BASE_MOUNTS, recording(Errno.ENODEV), p -> false))
                .isInstanceOfSatisfying(MissingFeatureException.class,
                        e -> assertThat(e.feature()).isEqualTo("tracefs"))
                .hasMessage("tracefs is not available on this kernel: tracefs is not mounted at /sys/kernel/tracing; "
                        + "mount tracefs on /sys/kernel/tracing: " + Errno.describe(Errno.ENODEV) + "; "
                        + "debugfs is not mounted at /sys/kernel/debug "
                        + "(a kernel without CONFIG_TRACING, or no permission to mount it)");
    }

    @Test
    void debugfsWithoutTracingFilesIsReported() {
        assertThatThrownBy(() -> Tracefs.locate(BASE_MOUNTS + "debugfs /sys/kernel/debug debugfs rw 0 0\n",
                recording(Errno.ENOENT), p -> false))
                .isInstanceOf(MissingFeatureException.class)
                .hasMessageContaining("; debugfs is mounted at /sys/kernel/debug but /sys/kernel/debug/tracing holds "
                        + "no tracing files");
    }

    @Test
    void appendsWithoutTruncatingAndReadsFiles(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("uprobe_events"), "p:other/keep /bin/true:0x10\n");
        Tracefs t = Tracefs.at(dir);

        t.append("uprobe_events", "p:g/e /bin/true:0x20");
        t.append("uprobe_events", "-:g/e");

        assertThat(t.read("uprobe_events")).isEqualTo("p:other/keep /bin/true:0x10\np:g/e /bin/true:0x20\n-:g/e\n");
        assertThat(t.readIfExists("error_log")).isEmpty();
        assertThat(t.path("events/a/b")).isEqualTo(dir.resolve("events/a/b"));
        assertThat(t).hasToString("tracefs at " + dir);
    }

    @Test
    void locatesTheSystemsTracefs() throws Exception {
        assumeTrue(Syscalls.geteuid() == 0, "locating tracefs needs root");

        Tracefs t = Tracefs.locate();

        assertThat(Files.isRegularFile(t.path("available_events"))).isTrue();
        assertThat(Tracefs.locate()).isSameAs(t);
        assertThat(Files.readString(Path.of("/proc/self/mounts")))
                .containsPattern("(?m)^\\S+ " + t.root() + " tracefs ");
    }
}
