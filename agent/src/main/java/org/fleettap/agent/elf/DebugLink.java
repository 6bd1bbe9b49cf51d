package org.fleettap.agent.elf;

import java.util.Objects;

/** The .gnu_debuglink section: the separate debug file's name and the CRC32 of its contents (unsigned). */
public record DebugLink(String fileName, long crc32) {
    public DebugLink {
        Objects.requireNonNull(fileName, "fileName");
    }
}
