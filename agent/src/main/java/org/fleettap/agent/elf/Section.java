package org.fleettap.agent.elf;

import java.util.Objects;

/**
 * One section header. Numbers are as stored in the file; {@code type}, {@code link} and {@code info} are unsigned
 * 32-bit values kept in an int. Get the bytes with {@link ElfFile#contents(Section)}.
 */
public record Section(int index, String name, int type, long flags, long addr, long offset, long size, int link,
        int info, long addralign, long entsize) {
    /** SHT_NULL. */
    public static final int SHT_NULL = 0;
    /** SHT_PROGBITS. */
    public static final int SHT_PROGBITS = 1;
    /** SHT_SYMTAB. */
    public static final int SHT_SYMTAB = 2;
    /** SHT_STRTAB. */
    public static final int SHT_STRTAB = 3;
    /** SHT_NOTE. */
    public static final int SHT_NOTE = 7;
    /** SHT_NOBITS: occupies no file space (.bss). */
    public static final int SHT_NOBITS = 8;
    /** SHT_DYNSYM. */
    public static final int SHT_DYNSYM = 11;

    /** SHF_WRITE. */
    public static final long SHF_WRITE = 0x1;
    /** SHF_ALLOC: occupies memory at run time. */
    public static final long SHF_ALLOC = 0x2;
    /** SHF_EXECINSTR. */
    public static final long SHF_EXECINSTR = 0x4;

    public Section {
        Objects.requireNonNull(name, "name");
    }

    /** Whether the section has bytes in the file (every type but SHT_NOBITS). */
    public boolean hasContents() {
        return type != SHT_NOBITS;
    }

    /** Whether all of {@code flag} bits are set. */
    public boolean hasFlag(long flag) {
        return (flags & flag) == flag;
    }
}
