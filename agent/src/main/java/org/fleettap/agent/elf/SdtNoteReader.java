package org.fleettap.agent.elf;

import java.util.ArrayList;
import java.util.List;

/** Reads the USDT probes ("stapsdt" notes of type 3) of an {@link ElfFile}. */
final class SdtNoteReader {
    private static final String OWNER = "stapsdt";
    private static final String BASE_SECTION = ".stapsdt.base";

    private SdtNoteReader() {
    }

    static List<SdtNote> read(ElfFile elf, ElfBytes bytes) throws ElfFormatException {
        Long baseSectionAddress = elf.section(BASE_SECTION).map(Section::addr).orElse(null);
        List<SdtNote> result = new ArrayList<>();
        for (Section section : elf.sections()) {
            if (section.type() != Section.SHT_NOTE) {
                continue;
            }
            for (Note note : Note.readAll(bytes, section.offset(), section.size(), section.addralign(),
                    "section [" + section.index() + "] " + ElfFormatException.printable(section.name()))) {
                if (note.is(OWNER, Note.NT_STAPSDT)) {
                    result.add(probe(elf, bytes, note, baseSectionAddress));
                }
            }
        }
        return List.copyOf(result);
    }

    private static SdtNote probe(ElfFile elf, ElfBytes bytes, Note note, Long baseSectionAddress)
            throws ElfFormatException {
        String where = "SDT note #" + note.ordinal() + " in " + note.where();
        if (note.descSize() < 3 * 8) {
            throw new ElfFormatException(where + ": descriptor of " + note.descSize()
                    + " bytes is shorter than its three addresses");
        }
        long pc = bytes.u64(note.descOffset());
        long base = bytes.u64(note.descOffset() + 8);
        long semaphore = bytes.u64(note.descOffset() + 16);
        StringTable strings = new StringTable(bytes, where, note.descOffset() + 24, note.descSize() - 24);
        String provider = strings.at(0, where + " provider");
        long nameAt = strings.after(0, where + " provider");
        String name = strings.at(nameAt, where + " name");
        long argsAt = strings.after(nameAt, where + " name");
        String argString = argsAt < note.descSize() - 24 ? strings.at(argsAt, where + " arguments") : "";
        String probe = "SDT note " + ElfFormatException.printable(provider + ":" + name);
        List<SdtArg> args = new ArrayList<>();
        for (String arg : argString.trim().split("\\s+")) {
            if (arg.isEmpty()) {
                continue;
            }
            try {
                args.add(SdtArg.parse(arg));
            } catch (ElfFormatException e) {
                throw new ElfFormatException(probe + ": " + e.getMessage(), e);
            }
        }
        long shift = baseSectionAddress == null ? 0 : baseSectionAddress - base;
        long address = pc + shift;
        long fileOffset = elf.fileOffsetOrError(address, probe + ": probe address");
        long semaphoreAddress = 0;
        long semaphoreFileOffset = 0;
        if (semaphore != 0) {
            semaphoreAddress = semaphore + shift;
            semaphoreFileOffset = semaphoreOffset(elf, semaphoreAddress, probe);
        }
        return new SdtNote(provider, name, pc, base, semaphore, argString, args, address, fileOffset,
                semaphoreAddress, semaphoreFileOffset);
    }

    private static long semaphoreOffset(ElfFile elf, long address, String probe) throws ElfFormatException {
        for (ProgramHeader segment : elf.programHeaders()) {
            if (segment.isLoad() && segment.isWritable() && segment.containsInFile(address)
                    && segment.containsInFile(address + 1)) {
                return segment.fileOffsetOf(address);
            }
        }
        throw new ElfFormatException(String.format(
                "%s: semaphore address 0x%x is not in the file-backed part of a writable PT_LOAD segment",
                probe, address));
    }
}
