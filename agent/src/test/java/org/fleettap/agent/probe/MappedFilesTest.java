package org.fleettap.agent.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MappedFilesTest {
    @TempDir
    Path dir;

    private Path process(int pid, Path mapped, long inode) throws Exception {
        Path p = Files.createDirectories(dir.resolve("proc").resolve(Integer.toString(pid)));
        Files.writeString(p.resolve("maps"), "55d0c2a4e000-55d0c2a4f000 r--p 00000000 fe:01 99    /usr/bin/prog\n"
                + "7f0000000000-7f0000001000 r-xp 00001000 fe:01 " + inode + "    " + mapped + "\n"
                + "7ffd00000000-7ffd00001000 rw-p 00000000 00:00 0    [stack]\n");
        return p;
    }

    private static long inode(Path p) throws Exception {
        return ((Number) Files.getAttribute(p, "unix:ino")).longValue();
    }

    @Test
    void theFirstProcessInPidOrderWhoseMappedFileIsTheSameFileHere() throws Exception {
        Path a = Files.createDirectories(dir.resolve("a")).resolve("libfoo.so.1");
        Path b = Files.createDirectories(dir.resolve("b")).resolve("libfoo.so.1");
        Files.writeString(a, "a");
        Files.writeString(b, "b");
        process(3, a, inode(a) + 1000); // another file under that path (another mount namespace): not taken
        process(12, b, inode(b));
        process(40, a, inode(a));
        Path proc = dir.resolve("proc");
        assertThat(MappedFiles.find(proc, "libfoo.so.1", OptionalInt.empty())).contains(b);
        assertThat(MappedFiles.find(proc, "libfoo.so.1", OptionalInt.of(40))).contains(a);
        assertThat(MappedFiles.find(proc, "libbar.so", OptionalInt.empty())).isEqualTo(Optional.empty());
        assertThat(MappedFiles.find(proc, "libfoo.so.1", OptionalInt.of(999))).contains(b); // gone: the rest
    }
}
