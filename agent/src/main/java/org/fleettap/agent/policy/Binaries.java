package org.fleettap.agent.policy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFormatException;

/**
 * What the {@code binaries} rule needs to know of a file: its real path and its build-id. An interface so that the
 * rule's tests can give both without files; {@link #system()} reads the file system.
 */
public interface Binaries {
    /** The path with symbolic links resolved; the path itself (normalised) when it cannot be resolved. */
    Path realPath(Path p);

    /** The build-id note of the ELF file at {@code p}, lower-case hex; empty when it has none or is not ELF. */
    Optional<String> buildId(Path p);

    /** The file system's answers. */
    static Binaries system() {
        return new Binaries() {
            @Override
            public Path realPath(Path p) {
                try {
                    return p.toRealPath();
                } catch (IOException e) {
                    return p.toAbsolutePath().normalize();
                }
            }

            @Override
            public Optional<String> buildId(Path p) {
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                    return ElfFile.parse(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size())).buildId();
                } catch (IOException | ElfFormatException e) {
                    return Optional.empty();
                }
            }
        };
    }
}
