package org.fleettap.agent.elf;

import java.util.ArrayList;
import java.util.List;

/** Reads the entries of the SHT_SYMTAB and SHT_DYNSYM sections (ELF64 Elf64_Sym, 24 bytes each). */
final class SymbolReader {
    private static final int ENTRY_SIZE = 24;

    private SymbolReader() {
    }

    /** All symbols of all symbol tables, in section order, each table without its null entry 0. */
    static List<ElfSymbol> read(ElfBytes bytes, List<Section> sections) throws ElfFormatException {
        List<ElfSymbol> symbols = new ArrayList<>();
        for (Section section : sections) {
            if (section.type() == Section.SHT_SYMTAB) {
                readTable(bytes, sections, section, ElfSymbol.Table.SYMTAB, symbols);
            } else if (section.type() == Section.SHT_DYNSYM) {
                readTable(bytes, sections, section, ElfSymbol.Table.DYNSYM, symbols);
            }
        }
        return List.copyOf(symbols);
    }

    private static void readTable(ElfBytes bytes, List<Section> sections, Section table, ElfSymbol.Table kind,
            List<ElfSymbol> out) throws ElfFormatException {
        String where = "section [" + table.index() + "] " + ElfFormatException.printable(table.name());
        if (table.entsize() != ENTRY_SIZE) {
            throw new ElfFormatException(where + ": symbol entry size " + table.entsize() + ", expected "
                    + ENTRY_SIZE);
        }
        if (table.link() <= 0 || table.link() >= sections.size()) {
            throw new ElfFormatException(where + ": string table index " + Integer.toUnsignedString(table.link())
                    + " is not a section");
        }
        Section strtab = sections.get(table.link());
        if (strtab.type() != Section.SHT_STRTAB) {
            throw new ElfFormatException(where + ": linked section [" + strtab.index() + "] is not a string table");
        }
        StringTable names = new StringTable(bytes, "section [" + strtab.index() + "] "
                + ElfFormatException.printable(strtab.name()), strtab.offset(), strtab.size());
        long count = table.size() / ENTRY_SIZE;
        if (count > Integer.MAX_VALUE) {
            throw new ElfFormatException(where + ": too many symbols (" + count + ")");
        }
        for (int i = 1; i < count; i++) {
            long at = table.offset() + (long) i * ENTRY_SIZE;
            long nameIndex = bytes.u32(at);
            int info = bytes.u8(at + 4);
            int other = bytes.u8(at + 5);
            int shndx = bytes.u16(at + 6);
            long value = bytes.u64(at + 8);
            long size = bytes.u64(at + 16);
            String name = names.at(nameIndex, where + " symbol " + i);
            out.add(new ElfSymbol(name, value, size, ElfSymbol.Type.of(info & 0xf), ElfSymbol.Binding.of(info >> 4),
                    ElfSymbol.Visibility.of(other), shndx, kind, i));
        }
    }
}
