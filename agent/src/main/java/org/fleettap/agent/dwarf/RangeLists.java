package org.fleettap.agent.dwarf;

import static org.fleettap.agent.dwarf.DieConstants.*;

import java.util.ArrayList;
import java.util.List;

/** DW_AT_ranges: .debug_ranges (DWARF 2–4) and .debug_rnglists (DWARF 5, every DW_RLE kind, rnglistx). */
final class RangeLists {
    private RangeLists() {
    }

    /** The ranges that attribute {@code a} of a unit's entry names ({@code ofRoot}: the unit's own entry). */
    static List<AddressRange> read(DwarfUnit unit, AttributeValue a, boolean ofRoot) throws DwarfFormatException {
        long base = ofRoot ? 0 : unit.baseAddress;
        if (unit.header.version() >= 5) {
            long offset = a.form() == DW_FORM_rnglistx
                    ? listOffset(unit, ".debug_rnglists", unit.rnglistsBase, a.value())
                    : a.value();
            return rnglists(unit, unit.sections.at(".debug_rnglists", offset), base);
        }
        return ranges(unit, unit.sections.at(".debug_ranges", a.value()), base);
    }

    /** Offset of entry {@code index} of the offsets table at {@code base} (rnglistx, loclistx). */
    static long listOffset(DwarfUnit unit, String section, long base, long index) throws DwarfFormatException {
        if (index < 0 || index > Integer.MAX_VALUE / 8) {
            throw new DwarfFormatException(unit.where() + ": list index " + Long.toUnsignedString(index)
                    + " is implausible");
        }
        DwarfReader r = unit.sections.at(section, base + index * unit.header.offsetSize());
        r.setDwarf64(unit.header.dwarf64());
        return base + r.offset();
    }

    private static List<AddressRange> ranges(DwarfUnit unit, DwarfReader r, long base) throws DwarfFormatException {
        int size = unit.header.addressSize();
        long max = size == 8 ? -1L : 0xffffffffL;
        List<AddressRange> out = new ArrayList<>();
        while (true) {
            long start = r.unsigned(size);
            long end = r.unsigned(size);
            if (start == 0 && end == 0) {
                return List.copyOf(out);
            }
            if (start == max) {
                base = end;
            } else {
                add(out, base + start, base + end, r);
            }
        }
    }

    private static List<AddressRange> rnglists(DwarfUnit unit, DwarfReader r, long base)
            throws DwarfFormatException {
        int size = unit.header.addressSize();
        List<AddressRange> out = new ArrayList<>();
        while (true) {
            int at = r.position();
            int kind = r.u8();
            switch (kind) {
                case DW_RLE_end_of_list:
                    return List.copyOf(out);
                case DW_RLE_base_addressx:
                    base = unit.indexedAddress(r.uleb());
                    break;
                case DW_RLE_startx_endx: {
                    long s = unit.indexedAddress(r.uleb());
                    add(out, s, unit.indexedAddress(r.uleb()), r);
                    break;
                }
                case DW_RLE_startx_length: {
                    long s = unit.indexedAddress(r.uleb());
                    add(out, s, s + r.uleb(), r);
                    break;
                }
                case DW_RLE_offset_pair: {
                    long s = r.uleb();
                    add(out, base + s, base + r.uleb(), r);
                    break;
                }
                case DW_RLE_base_address:
                    base = r.unsigned(size);
                    break;
                case DW_RLE_start_end: {
                    long s = r.unsigned(size);
                    add(out, s, r.unsigned(size), r);
                    break;
                }
                case DW_RLE_start_length: {
                    long s = r.unsigned(size);
                    add(out, s, s + r.uleb(), r);
                    break;
                }
                default:
                    throw r.error(at, "unknown range list entry kind 0x" + Integer.toHexString(kind));
            }
        }
    }

    private static void add(List<AddressRange> out, long start, long end, DwarfReader r)
            throws DwarfFormatException {
        if (Long.compareUnsigned(end, start) < 0) {
            throw r.error(r.position(), "range ends (0x" + Long.toHexString(end) + ") before it starts (0x"
                    + Long.toHexString(start) + ")");
        }
        if (end != start) {
            out.add(new AddressRange(start, end));
        }
    }
}
