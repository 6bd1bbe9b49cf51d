package org.fleettap.agent.dwarf;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The header of one line-number program (one unit of {@code .debug_line}, versions 2 to 5): the state machine's
 * parameters and the directory and file tables, with each file's path resolved.
 *
 * @param offset the unit's offset in {@code .debug_line} (what DW_AT_stmt_list names)
 * @param version 2, 3, 4 or 5
 * @param addressSize the size of DW_LNE_set_address operands (DWARF 5 says; earlier versions: 0, taken from each op)
 * @param minInstLength the code alignment factor of address advances
 * @param maxOpsPerInst operations per VLIW bundle; 1 elsewhere
 * @param defaultIsStmt the initial is_stmt register
 * @param lineBase the smallest line advance of a special opcode
 * @param lineRange the number of line advances special opcodes encode
 * @param opcodeBase the first special opcode
 * @param standardOpcodeLengths the operand count of standard opcodes 1 .. opcodeBase-1
 * @param directories the directory table (DWARF 5: entry 0 is the compilation directory)
 * @param files the file table (DWARF 5: 0-based; earlier: entry i here is file i+1)
 */
record LineHeader(long offset, int version, int addressSize, int minInstLength, int maxOpsPerInst,
        boolean defaultIsStmt, int lineBase, int lineRange, int opcodeBase, List<Integer> standardOpcodeLengths,
        List<String> directories, List<LineFile> files) {
    /** DWARF 5 entry content types this reader uses (others are skipped by their form). */
    static final int DW_LNCT_PATH = 1;
    static final int DW_LNCT_DIRECTORY_INDEX = 2;

    LineHeader {
        standardOpcodeLengths = List.copyOf(standardOpcodeLengths);
        directories = List.copyOf(directories);
        files = List.copyOf(files);
    }

    /**
     * Reads the header of the unit at {@code unit}'s start ({@code unit} spans exactly the unit, initial length
     * excluded, and is 64-bit DWARF if the length said so) and leaves {@code unit} at the first opcode.
     * {@code compDir} is the compilation directory for versions before 5, whose tables do not hold it.
     */
    static LineHeader read(long offset, DwarfReader unit, LineStrings strings, Optional<String> compDir)
            throws DwarfFormatException {
        int version = unit.u16();
        if (version < 2 || version > 5) {
            throw unit.error(offset, "unsupported line table version " + version);
        }
        int addressSize = 0;
        if (version >= 5) {
            addressSize = unit.u8();
            if (addressSize != 1 && addressSize != 2 && addressSize != 4 && addressSize != 8) {
                throw unit.error(unit.position() - 1, "unsupported address size " + addressSize);
            }
            int segmentSelectorSize = unit.u8();
            if (segmentSelectorSize != 0) {
                throw unit.error(unit.position() - 1, "segmented addresses are not supported");
            }
        }
        long headerLength = unit.offset();
        DwarfReader h = unit.slice(headerLength);
        int minInstLength = h.u8();
        int maxOps = version >= 4 ? h.u8() : 1;
        if (maxOps == 0) {
            throw h.error(h.position() - 1, "maximum operations per instruction is 0");
        }
        boolean defaultIsStmt = h.u8() != 0;
        int lineBase = h.s8();
        int lineRange = h.u8();
        if (lineRange == 0) {
            throw h.error(h.position() - 1, "line range is 0");
        }
        int opcodeBase = h.u8();
        if (opcodeBase == 0) {
            throw h.error(h.position() - 1, "opcode base is 0");
        }
        List<Integer> lengths = new ArrayList<>(opcodeBase - 1);
        for (int i = 1; i < opcodeBase; i++) {
            lengths.add(h.u8());
        }
        List<String> dirs = new ArrayList<>();
        List<LineFile> files = new ArrayList<>();
        if (version >= 5) {
            for (Entry e : entries(h, strings, "directory")) {
                dirs.add(e.path);
            }
            String comp = dirs.isEmpty() ? "" : dirs.get(0);
            for (Entry e : entries(h, strings, "file")) {
                files.add(file5(h, dirs, comp, e.path, e.directory));
            }
        } else {
            for (String d = h.cstring(); !d.isEmpty(); d = h.cstring()) {
                dirs.add(d);
            }
            for (String name = h.cstring(); !name.isEmpty(); name = h.cstring()) {
                long dir = h.uleb();
                h.uleb();
                h.uleb();
                files.add(file4(h, dirs, compDir.orElse(""), name, dir));
            }
        }
        return new LineHeader(offset, version, addressSize, minInstLength, maxOps, defaultIsStmt, lineBase,
                lineRange, opcodeBase, lengths, dirs, files);
    }

    /** A DWARF 2-4 file entry (also DW_LNE_define_file): directory 0 is the compilation directory. */
    static LineFile file4(DwarfReader at, List<String> dirs, String compDir, String name, long dir)
            throws DwarfFormatException {
        if (dir < 0 || dir > dirs.size()) {
            throw at.error(at.position(), "file " + name + " names directory " + dir + " of " + dirs.size());
        }
        String d = dir == 0 ? compDir : join(compDir, dirs.get((int) dir - 1));
        return new LineFile(name, dir, join(d, name));
    }

    private static LineFile file5(DwarfReader at, List<String> dirs, String compDir, String name, long dir)
            throws DwarfFormatException {
        if (dir < 0 || dir >= dirs.size()) {
            throw at.error(at.position(), "file " + name + " names directory " + dir + " of " + dirs.size());
        }
        String d = dir == 0 ? compDir : join(compDir, dirs.get((int) dir));
        return new LineFile(name, dir, join(d, name));
    }

    /** {@code dir/name}, or {@code name} alone when it is absolute or there is no directory. */
    static String join(String dir, String name) {
        if (dir.isEmpty() || name.startsWith("/")) {
            return name;
        }
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }

    /** A DWARF 5 directory or file entry: the fields a path needs. */
    private record Entry(String path, long directory) {
    }

    /** A DWARF 5 entry-format list and the entries it describes. */
    private static List<Entry> entries(DwarfReader h, LineStrings strings, String what) throws DwarfFormatException {
        int formatCount = h.u8();
        long[] types = new long[formatCount];
        int[] forms = new int[formatCount];
        boolean hasPath = false;
        for (int i = 0; i < formatCount; i++) {
            types[i] = h.uleb();
            long form = h.uleb();
            forms[i] = form > 0xffff ? -1 : (int) form;
            hasPath |= types[i] == DW_LNCT_PATH;
        }
        int at = h.position();
        long count = h.uleb();
        if (count > 0 && !hasPath) {
            throw h.error(at, count + " " + what + " entries without a path");
        }
        if (count > h.remaining()) {
            throw h.error(at, count + " " + what + " entries in " + h.remaining() + " bytes");
        }
        List<Entry> out = new ArrayList<>((int) count);
        for (long n = 0; n < count; n++) {
            String path = null;
            long dir = 0;
            for (int i = 0; i < formatCount; i++) {
                Object v = value(h, strings, forms[i]);
                if (types[i] == DW_LNCT_PATH) {
                    if (!(v instanceof String s)) {
                        throw h.error(h.position(), what + " path in a non-string form 0x"
                                + Integer.toHexString(forms[i]));
                    }
                    path = s;
                } else if (types[i] == DW_LNCT_DIRECTORY_INDEX) {
                    if (!(v instanceof Long l)) {
                        throw h.error(h.position(), "directory index in a non-integer form 0x"
                                + Integer.toHexString(forms[i]));
                    }
                    dir = l;
                }
            }
            out.add(new Entry(path, dir));
        }
        return out;
    }

    /** One attribute value: a String, a Long, or null for blocks and 16-byte data (MD5), which are skipped. */
    private static Object value(DwarfReader h, LineStrings strings, int form) throws DwarfFormatException {
        int at = h.position();
        switch (form) {
            case DieConstants.DW_FORM_string: return h.cstring();
            case DieConstants.DW_FORM_line_strp: return strings.lineStr(h.offset());
            case DieConstants.DW_FORM_strp: return strings.str(h.offset());
            case DieConstants.DW_FORM_strx: return strings.strx(h.uleb());
            case DieConstants.DW_FORM_strx1: return strings.strx(h.u8());
            case DieConstants.DW_FORM_strx2: return strings.strx(h.u16());
            case DieConstants.DW_FORM_strx3: return strings.strx(h.u24());
            case DieConstants.DW_FORM_strx4: return strings.strx(h.u32());
            case DieConstants.DW_FORM_udata: return h.uleb();
            case DieConstants.DW_FORM_sdata: return h.sleb();
            case DieConstants.DW_FORM_data1:
            case DieConstants.DW_FORM_flag: return (long) h.u8();
            case DieConstants.DW_FORM_data2: return (long) h.u16();
            case DieConstants.DW_FORM_data4: return h.u32();
            case DieConstants.DW_FORM_data8: return h.u64();
            case DieConstants.DW_FORM_data16: h.skip(16); return null;
            case DieConstants.DW_FORM_block: h.skip(h.uleb()); return null;
            case DieConstants.DW_FORM_block1: h.skip(h.u8()); return null;
            case DieConstants.DW_FORM_block2: h.skip(h.u16()); return null;
            case DieConstants.DW_FORM_block4: h.skip(h.u32()); return null;
            default: throw h.error(at, "unsupported form 0x" + Integer.toHexString(form) + " in a line table header");
        }
    }
}
