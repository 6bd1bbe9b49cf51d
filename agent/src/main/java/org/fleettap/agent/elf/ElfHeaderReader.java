package org.fleettap.agent.elf;

import java.util.ArrayList;
import java.util.List;

/** Reads and validates the ELF header, the section header table and the program header table. */
final class ElfHeaderReader {
    static final int EHDR_SIZE = 64;
    private static final int SHDR_SIZE = 64;
    private static final int PHDR_SIZE = 56;
    private static final int SHN_XINDEX = 0xffff;
    private static final int PN_XNUM = 0xffff;

    /** What the header says, before sections and segments are read. */
    record Header(ElfType type, int machine, long entry, long phoff, int phentsize, long phnum, long shoff,
            int shentsize, long shnum, long shstrndx) {
    }

    private ElfHeaderReader() {
    }

    static Header header(ElfBytes bytes) throws ElfFormatException {
        if (bytes.size() < 4 || bytes.u8(0) != 0x7f || bytes.u8(1) != 'E' || bytes.u8(2) != 'L'
                || bytes.u8(3) != 'F') {
            throw ElfFormatException.notElf();
        }
        if (bytes.size() < 16) {
            throw new ElfFormatException("truncated: ELF identification needs 16 bytes, file has " + bytes.size());
        }
        int elfClass = bytes.u8(4);
        if (elfClass == 1) {
            throw new ElfFormatException("32-bit ELF (ELFCLASS32) is not supported");
        } else if (elfClass != 2) {
            throw new ElfFormatException("invalid ELF class " + elfClass);
        }
        int data = bytes.u8(5);
        if (data == 2) {
            throw new ElfFormatException("big-endian ELF is not supported");
        } else if (data != 1) {
            throw new ElfFormatException("invalid ELF data encoding " + data);
        }
        if (bytes.u8(6) != 1) {
            throw new ElfFormatException("unsupported ELF version " + bytes.u8(6));
        }
        if (bytes.size() < EHDR_SIZE) {
            throw new ElfFormatException("truncated: ELF header needs " + EHDR_SIZE + " bytes, file has "
                    + bytes.size());
        }
        int rawType = bytes.u16(16);
        ElfType type = switch (rawType) {
            case 2 -> ElfType.EXEC;
            case 3 -> ElfType.DYN;
            case 1 -> throw new ElfFormatException("relocatable object (ET_REL) is not supported");
            case 4 -> throw new ElfFormatException("core file (ET_CORE) is not supported");
            default -> throw new ElfFormatException(String.format("unsupported ELF type 0x%x", rawType));
        };
        return new Header(type, bytes.u16(18), bytes.u64(24), bytes.u64(32), bytes.u16(54), bytes.u16(56),
                bytes.u64(40), bytes.u16(58), bytes.u16(60), bytes.u16(62));
    }

    static List<Section> sections(ElfBytes bytes, Header h) throws ElfFormatException {
        if (h.shoff() == 0) {
            return List.of();
        }
        if (h.shentsize() != SHDR_SIZE) {
            throw new ElfFormatException("invalid section header entry size " + h.shentsize() + " (expected "
                    + SHDR_SIZE + ")");
        }
        long count = h.shnum();
        long shstrndx = h.shstrndx();
        if (count == 0 || shstrndx == SHN_XINDEX) {
            requireTable(bytes, "section header table", h.shoff(), 1, SHDR_SIZE);
            if (count == 0) {
                count = bytes.u64(h.shoff() + 32);
            }
            if (shstrndx == SHN_XINDEX) {
                shstrndx = bytes.u32(h.shoff() + 40);
            }
        }
        requireTable(bytes, "section header table", h.shoff(), count, SHDR_SIZE);
        long[] nameIndexes = new long[(int) count];
        List<Section> unnamed = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            long at = h.shoff() + (long) i * SHDR_SIZE;
            nameIndexes[i] = bytes.u32(at);
            Section s = new Section(i, "", bytes.i32(at + 4), bytes.u64(at + 8), bytes.u64(at + 16),
                    bytes.u64(at + 24), bytes.u64(at + 32), bytes.i32(at + 40), bytes.i32(at + 44),
                    bytes.u64(at + 48), bytes.u64(at + 56));
            unnamed.add(s);
        }
        if (shstrndx == 0) {
            return checkContents(bytes, unnamed);
        }
        if (shstrndx >= count || !unnamed.get((int) shstrndx).hasContents()
                || unnamed.get((int) shstrndx).type() == Section.SHT_NULL) {
            throw new ElfFormatException("section name string table index " + shstrndx + " is not a section with "
                    + "contents (" + count + " sections)");
        }
        Section shstrtab = unnamed.get((int) shstrndx);
        bytes.require(shstrtab.offset(), shstrtab.size(), "section name string table");
        StringTable names = new StringTable(bytes, "section name string table", shstrtab.offset(),
                shstrtab.size());
        List<Section> sections = new ArrayList<>((int) count);
        for (Section s : unnamed) {
            String name = s.index() == 0 && nameIndexes[0] == 0 ? ""
                    : names.at(nameIndexes[s.index()], "section [" + s.index() + "]");
            sections.add(new Section(s.index(), name, s.type(), s.flags(), s.addr(), s.offset(), s.size(),
                    s.link(), s.info(), s.addralign(), s.entsize()));
        }
        return checkContents(bytes, sections);
    }

    private static List<Section> checkContents(ElfBytes bytes, List<Section> sections) throws ElfFormatException {
        for (Section s : sections) {
            if (s.hasContents() && s.type() != Section.SHT_NULL) {
                bytes.require(s.offset(), s.size(),
                        "section [" + s.index() + "] " + ElfFormatException.printable(s.name()));
            }
        }
        return List.copyOf(sections);
    }

    static List<ProgramHeader> programHeaders(ElfBytes bytes, Header h, List<Section> sections)
            throws ElfFormatException {
        long count = h.phnum();
        if (count == PN_XNUM && !sections.isEmpty()) {
            count = Integer.toUnsignedLong(sections.get(0).info());
        }
        if (count == 0) {
            return List.of();
        }
        if (h.phentsize() != PHDR_SIZE) {
            throw new ElfFormatException("invalid program header entry size " + h.phentsize() + " (expected "
                    + PHDR_SIZE + ")");
        }
        requireTable(bytes, "program header table", h.phoff(), count, PHDR_SIZE);
        List<ProgramHeader> headers = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            long at = h.phoff() + (long) i * PHDR_SIZE;
            headers.add(new ProgramHeader(bytes.i32(at), bytes.i32(at + 4), bytes.u64(at + 8), bytes.u64(at + 16),
                    bytes.u64(at + 24), bytes.u64(at + 32), bytes.u64(at + 40), bytes.u64(at + 48)));
        }
        return List.copyOf(headers);
    }

    private static void requireTable(ElfBytes bytes, String what, long offset, long count, int entrySize)
            throws ElfFormatException {
        if (count < 0 || count > bytes.size() / entrySize || !bytes.contains(offset, count * entrySize)) {
            throw new ElfFormatException(String.format(
                    "truncated: %s at 0x%x (%s entries of %d bytes) extends past end of file (size %d)",
                    what, offset, Long.toUnsignedString(count), entrySize, bytes.size()));
        }
    }
}
