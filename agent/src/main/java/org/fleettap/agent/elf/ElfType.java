package org.fleettap.agent.elf;

/** The kinds of ELF file the reader accepts (e_type). */
public enum ElfType {
    /** ET_EXEC: a position-dependent executable. */
    EXEC,
    /** ET_DYN: a shared object or a position-independent executable. */
    DYN
}
