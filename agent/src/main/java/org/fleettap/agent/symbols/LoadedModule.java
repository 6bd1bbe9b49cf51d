package org.fleettap.agent.symbols;

import java.nio.file.Path;

/**
 * A file mapped into a process: its path and load bias (runtime address − link-time address), with the
 * address range it occupies.
 */
public record LoadedModule(Path path, long bias, long start, long end) {

    /** The link-time address (as in the file's symbols and DWARF) of runtime {@code address}. */
    public long toLinkTime(long address) {
        return address - bias;
    }

    public boolean contains(long address) {
        return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
    }
}
