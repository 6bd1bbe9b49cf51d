package org.fleettap.agent.dwarf;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The string sections a DWARF 5 line-table header may point into: {@code .debug_line_str} (DW_FORM_line_strp),
 * {@code .debug_str} (DW_FORM_strp) and {@code .debug_str_offsets} (DW_FORM_strx*). Any may be absent.
 */
record LineStrings(Optional<ByteBuffer> lineStr, Optional<ByteBuffer> str, Optional<ByteBuffer> strOffsets) {
    /** No string sections: only inline strings resolve. */
    static final LineStrings NONE = new LineStrings(Optional.empty(), Optional.empty(), Optional.empty());

    static LineStrings of(DwarfSections sections) throws DwarfFormatException {
        return new LineStrings(sections.section(".debug_line_str"), sections.section(".debug_str"),
                sections.section(".debug_str_offsets"));
    }

    /** The string at {@code offset} of {@code .debug_line_str}. */
    String lineStr(long offset) throws DwarfFormatException {
        return at(".debug_line_str", lineStr, offset);
    }

    /** The string at {@code offset} of {@code .debug_str}. */
    String str(long offset) throws DwarfFormatException {
        return at(".debug_str", str, offset);
    }

    /**
     * The string with index {@code index} in {@code .debug_str_offsets}. Its base belongs to the compilation unit
     * (DW_AT_str_offsets_base), which a line table does not name; it resolves only when the section holds exactly
     * one contribution, whose header then precedes the offsets.
     */
    String strx(long index) throws DwarfFormatException {
        ByteBuffer offsets = strOffsets.orElseThrow(
                () -> new DwarfFormatException(".debug_line: DW_FORM_strx without a .debug_str_offsets section"));
        DwarfReader r = new DwarfReader(".debug_str_offsets", offsets);
        long length = r.initialLength();
        int header = r.position() + 4;
        if (length + r.position() != r.end()) {
            throw new DwarfFormatException(".debug_line: DW_FORM_strx with several .debug_str_offsets "
                    + "contributions needs the compilation unit's DW_AT_str_offsets_base");
        }
        int size = r.isDwarf64() ? 8 : 4;
        if (index < 0 || index >= (r.end() - header) / size) {
            throw r.error(header, "string index " + index + " is outside the section");
        }
        return str(r.seek(header + index * size).offset());
    }

    private static String at(String name, Optional<ByteBuffer> section, long offset) throws DwarfFormatException {
        ByteBuffer bytes = section.orElseThrow(
                () -> new DwarfFormatException(".debug_line: a string in " + name + ", which is missing"));
        return new DwarfReader(name, bytes).seek(offset).cstring();
    }
}
