package org.fleettap.agent.elf;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Opens ELF files from disk: the only class of this package that does I/O. */
public final class ElfFiles {
    private ElfFiles() {
    }

    /**
     * Maps {@code path} read-only and parses it. Format errors carry the path ("/usr/bin/x: not an ELF file"); the
     * mapping lives as long as the returned file (and buffers from it) are reachable.
     */
    public static ElfFile map(Path path) throws IOException, ElfFormatException {
        MappedByteBuffer mapped;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > Integer.MAX_VALUE) {
                throw new ElfFormatException(path + ": files larger than 2 GiB are not supported (size " + size
                        + ")");
            }
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
        }
        try {
            return ElfFile.parse(mapped);
        } catch (ElfFormatException e) {
            throw e.in(path.toString());
        }
    }
}
