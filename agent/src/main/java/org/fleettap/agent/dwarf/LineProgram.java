package org.fleettap.agent.dwarf;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One unit of {@code .debug_line}: its header and the rows its line-number program produces. */
record LineProgram(LineHeader header, List<LineRow> rows) {
    static final int DW_LNS_COPY = 1;
    static final int DW_LNS_ADVANCE_PC = 2;
    static final int DW_LNS_ADVANCE_LINE = 3;
    static final int DW_LNS_SET_FILE = 4;
    static final int DW_LNS_SET_COLUMN = 5;
    static final int DW_LNS_NEGATE_STMT = 6;
    static final int DW_LNS_SET_BASIC_BLOCK = 7;
    static final int DW_LNS_CONST_ADD_PC = 8;
    static final int DW_LNS_FIXED_ADVANCE_PC = 9;
    static final int DW_LNS_SET_PROLOGUE_END = 10;
    static final int DW_LNS_SET_EPILOGUE_BEGIN = 11;
    static final int DW_LNS_SET_ISA = 12;

    static final int DW_LNE_END_SEQUENCE = 1;
    static final int DW_LNE_SET_ADDRESS = 2;
    static final int DW_LNE_DEFINE_FILE = 3;
    static final int DW_LNE_SET_DISCRIMINATOR = 4;

    LineProgram {
        rows = List.copyOf(rows);
    }

    /**
     * Reads the unit at the reader's position in {@code section} (header and program) and leaves the reader after
     * it. {@code compDir} completes relative paths of DWARF 2-4 tables (DWARF 5 tables name their own).
     */
    static LineProgram read(DwarfReader section, LineStrings strings, Optional<String> compDir)
            throws DwarfFormatException {
        long offset = section.position();
        long length = section.initialLength();
        DwarfReader unit = section.slice(length);
        LineHeader header = LineHeader.read(offset, unit, strings, compDir);
        return new LineProgram(header, run(header, unit, compDir.orElse("")));
    }

    /** Runs the line-number program in {@code program} to its end. */
    static List<LineRow> run(LineHeader h, DwarfReader program, String compDir) throws DwarfFormatException {
        List<LineRow> rows = new ArrayList<>();
        List<LineFile> files = new ArrayList<>(h.files());
        State s = new State(h);
        while (program.hasRemaining()) {
            int at = program.position();
            int op = program.u8();
            if (op >= h.opcodeBase()) {
                int adjusted = op - h.opcodeBase();
                s.advance(adjusted / h.lineRange());
                s.line += h.lineBase() + adjusted % h.lineRange();
                s.emit(rows, files, program, at);
                continue;
            }
            switch (op) {
                case 0 -> extended(h, program, s, rows, files, compDir);
                case DW_LNS_COPY -> s.emit(rows, files, program, at);
                case DW_LNS_ADVANCE_PC -> s.advance(program.uleb());
                case DW_LNS_ADVANCE_LINE -> s.line += program.sleb();
                case DW_LNS_SET_FILE -> s.file = program.uleb();
                case DW_LNS_SET_COLUMN -> s.column = program.uleb();
                case DW_LNS_NEGATE_STMT -> s.isStmt = !s.isStmt;
                case DW_LNS_SET_BASIC_BLOCK -> { }
                case DW_LNS_CONST_ADD_PC -> s.advance((255 - h.opcodeBase()) / h.lineRange());
                case DW_LNS_FIXED_ADVANCE_PC -> {
                    s.address += program.u16();
                    s.opIndex = 0;
                }
                case DW_LNS_SET_PROLOGUE_END -> s.prologueEnd = true;
                case DW_LNS_SET_EPILOGUE_BEGIN -> s.epilogueBegin = true;
                case DW_LNS_SET_ISA -> program.uleb();
                default -> {
                    for (int i = h.standardOpcodeLengths().get(op - 1); i > 0; i--) {
                        program.uleb();
                    }
                }
            }
        }
        return rows;
    }

    private static void extended(LineHeader h, DwarfReader program, State s, List<LineRow> rows,
            List<LineFile> files, String compDir) throws DwarfFormatException {
        int at = program.position() - 1;
        long length = program.uleb();
        if (length == 0) {
            throw program.error(at, "extended opcode of length 0");
        }
        DwarfReader op = program.slice(length);
        int sub = op.u8();
        switch (sub) {
            case DW_LNE_END_SEQUENCE -> {
                s.endSequence = true;
                s.emit(rows, files, op, at);
                s.reset();
            }
            case DW_LNE_SET_ADDRESS -> {
                int size = op.remaining();
                if (h.addressSize() != 0 && size != h.addressSize()) {
                    throw op.error(at, "DW_LNE_set_address of " + size + " bytes, address size "
                            + h.addressSize());
                }
                s.address = op.unsigned(size);
                s.opIndex = 0;
            }
            case DW_LNE_DEFINE_FILE -> {
                String name = op.cstring();
                long dir = op.uleb();
                op.uleb();
                op.uleb();
                if (h.version() >= 5) {
                    throw op.error(at, "DW_LNE_define_file in a version 5 line table");
                }
                files.add(LineHeader.file4(op, h.directories(), compDir, name, dir));
            }
            case DW_LNE_SET_DISCRIMINATOR -> s.discriminator = (int) op.uleb();
            default -> { }
        }
    }

    /** The line-number state machine's registers. */
    private static final class State {
        private final LineHeader h;
        long address;
        int opIndex;
        long file;
        long line;
        long column;
        boolean isStmt;
        boolean endSequence;
        int discriminator;
        boolean prologueEnd;
        boolean epilogueBegin;

        State(LineHeader h) {
            this.h = h;
            reset();
        }

        void reset() {
            address = 0;
            opIndex = 0;
            file = 1;
            line = 1;
            column = 0;
            isStmt = h.defaultIsStmt();
            endSequence = false;
            discriminator = 0;
            prologueEnd = false;
            epilogueBegin = false;
        }

        /** Advances by {@code operations} (an operation advance, in units of the minimum instruction length). */
        void advance(long operations) {
            if (h.maxOpsPerInst() == 1) {
                address += h.minInstLength() * operations;
            } else {
                long ops = opIndex + operations;
                address += h.minInstLength() * Long.divideUnsigned(ops, h.maxOpsPerInst());
                opIndex = (int) Long.remainderUnsigned(ops, h.maxOpsPerInst());
            }
        }

        void emit(List<LineRow> rows, List<LineFile> files, DwarfReader at, int offset)
                throws DwarfFormatException {
            long index = h.version() >= 5 ? file : file - 1;
            boolean valid = index >= 0 && index < files.size();
            if (!valid && !endSequence) {
                throw at.error(offset, "row names file " + file + " of " + files.size());
            }
            String path = valid ? files.get((int) index).path() : "";
            rows.add(new LineRow(address, opIndex, path, (int) line, (int) column, isStmt,
                    endSequence, discriminator, prologueEnd, epilogueBegin));
            discriminator = 0;
            prologueEnd = false;
            epilogueBegin = false;
        }
    }
}
