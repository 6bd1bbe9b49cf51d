package org.fleettap.agent.elf;

/** One program header (segment); numbers as stored in the file, {@code type} an unsigned 32-bit value in an int. */
public record ProgramHeader(int type, int flags, long offset, long vaddr, long paddr, long filesz, long memsz,
        long align) {
    /** PT_LOAD: a segment mapped at run time. */
    public static final int PT_LOAD = 1;
    /** PT_DYNAMIC. */
    public static final int PT_DYNAMIC = 2;
    /** PT_INTERP. */
    public static final int PT_INTERP = 3;
    /** PT_NOTE. */
    public static final int PT_NOTE = 4;
    /** PT_PHDR. */
    public static final int PT_PHDR = 6;
    /** PT_TLS. */
    public static final int PT_TLS = 7;

    /** PF_X: executable. */
    public static final int PF_X = 0x1;
    /** PF_W: writable. */
    public static final int PF_W = 0x2;
    /** PF_R: readable. */
    public static final int PF_R = 0x4;

    /** Whether this is a PT_LOAD segment. */
    public boolean isLoad() {
        return type == PT_LOAD;
    }

    /** Whether the segment is writable (PF_W). */
    public boolean isWritable() {
        return (flags & PF_W) != 0;
    }

    /** Whether the segment is executable (PF_X). */
    public boolean isExecutable() {
        return (flags & PF_X) != 0;
    }

    /** Whether {@code address} falls in the part of the segment backed by file bytes ([vaddr, vaddr+filesz)). */
    public boolean containsInFile(long address) {
        return Long.compareUnsigned(address - vaddr, filesz) < 0 && Long.compareUnsigned(address, vaddr) >= 0;
    }

    /** The file offset of {@code address}, which must satisfy {@link #containsInFile}. */
    public long fileOffsetOf(long address) {
        return address - vaddr + offset;
    }
}
