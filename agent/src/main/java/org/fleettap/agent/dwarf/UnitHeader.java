package org.fleettap.agent.dwarf;

/**
 * A unit header from .debug_info (DWARF 2–5) or .debug_types (DWARF 4): where the unit and its first entry are,
 * its version and type (DW_UT_*), abbreviation offset, address size and offset size; the type signature and
 * type offset for type units and the DWO id for skeleton and split units (0 otherwise).
 */
record UnitHeader(long offset, long end, int version, int unitType, long abbrevOffset, int addressSize,
        boolean dwarf64, long typeSignature, long typeOffset, long dwoId, long firstDieOffset) {

    /** Reads the header at the reader's position; {@code typesSection} for .debug_types (DWARF 4 type units). */
    static UnitHeader read(DwarfReader r, boolean typesSection) throws DwarfFormatException {
        long offset = r.position();
        long length = r.initialLength();
        boolean dwarf64 = r.isDwarf64();
        long end = r.position() + length;
        if (length > r.remaining()) {
            throw r.error(offset, "unit length 0x" + Long.toHexString(length) + " runs past the section end");
        }
        int version = r.u16();
        if (version < 2 || version > 5) {
            throw r.error(offset, "unsupported DWARF version " + version);
        }
        int unitType;
        long abbrevOffset;
        int addressSize;
        long signature = 0;
        long typeOffset = 0;
        long dwoId = 0;
        if (version >= 5) {
            unitType = r.u8();
            addressSize = r.u8();
            abbrevOffset = r.offset();
            switch (unitType) {
                case DieConstants.DW_UT_compile, DieConstants.DW_UT_partial -> { }
                case DieConstants.DW_UT_skeleton, DieConstants.DW_UT_split_compile -> dwoId = r.u64();
                case DieConstants.DW_UT_type, DieConstants.DW_UT_split_type -> {
                    signature = r.u64();
                    typeOffset = r.offset();
                }
                default -> throw r.error(offset, "unknown unit type 0x" + Integer.toHexString(unitType));
            }
        } else {
            abbrevOffset = r.offset();
            addressSize = r.u8();
            if (typesSection) {
                unitType = DieConstants.DW_UT_type;
                signature = r.u64();
                typeOffset = r.offset();
            } else {
                unitType = DieConstants.DW_UT_compile;
            }
        }
        if (addressSize != 4 && addressSize != 8) {
            throw r.error(offset, "unsupported address size " + addressSize);
        }
        long first = r.position();
        if (first > end) {
            throw r.error(offset, "unit header is longer than the unit");
        }
        if (typeOffset != 0 && (offset + typeOffset < first || offset + typeOffset >= end)) {
            throw r.error(offset, "type offset 0x" + Long.toHexString(typeOffset) + " is outside the unit");
        }
        return new UnitHeader(offset, end, version, unitType, abbrevOffset, addressSize, dwarf64, signature,
                typeOffset, dwoId, first);
    }

    /** Size in bytes of a section offset in this unit (4, or 8 in 64-bit DWARF). */
    int offsetSize() {
        return dwarf64 ? 8 : 4;
    }
}
