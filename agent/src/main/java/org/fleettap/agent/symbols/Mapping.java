package org.fleettap.agent.symbols;

/**
 * One line of /proc/PID/maps: [start, end) mapped from {@code offset} of {@code path} (empty for anonymous
 * memory; "[stack]", "[vdso]" and the like for special mappings).
 */
public record Mapping(long start, long end, String perms, long offset, long inode, String path) {

    public boolean contains(long address) {
        return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
    }

    public boolean executable() {
        return perms.length() > 2 && perms.charAt(2) == 'x';
    }

    /** A regular file (not anonymous memory, not [vdso] or [stack], not a deleted file). */
    public boolean isFile() {
        return path.startsWith("/") && inode != 0;
    }

    /** The file offset that {@code address} (inside this mapping) was loaded from. */
    public long fileOffsetOf(long address) {
        return offset + (address - start);
    }
}
