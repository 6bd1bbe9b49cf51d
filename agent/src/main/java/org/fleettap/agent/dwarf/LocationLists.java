package org.fleettap.agent.dwarf;

import static org.fleettap.agent.dwarf.DieConstants.*;

import java.util.ArrayList;
import java.util.List;

/** Location lists: .debug_loc (DWARF 2–4) and .debug_loclists (DWARF 5, every DW_LLE kind, loclistx). */
final class LocationLists {
    private LocationLists() {
    }

    /** The list that attribute {@code a} (sec_offset or loclistx) of an entry of {@code unit} names. */
    static List<LocationListEntry> read(DwarfUnit unit, AttributeValue a) throws DwarfFormatException {
        if (unit.header.version() >= 5) {
            long offset = a.form() == DW_FORM_loclistx
                    ? RangeLists.listOffset(unit, ".debug_loclists", unit.loclistsBase, a.value())
                    : a.value();
            return loclists(unit, unit.sections.at(".debug_loclists", offset));
        }
        return loc(unit, unit.sections.at(".debug_loc", a.value()));
    }

    private static List<LocationListEntry> loc(DwarfUnit unit, DwarfReader r) throws DwarfFormatException {
        int size = unit.header.addressSize();
        long max = size == 8 ? -1L : 0xffffffffL;
        long base = unit.baseAddress;
        List<LocationListEntry> out = new ArrayList<>();
        while (true) {
            long start = r.unsigned(size);
            long end = r.unsigned(size);
            if (start == 0 && end == 0) {
                return List.copyOf(out);
            }
            if (start == max) {
                base = end;
                continue;
            }
            out.add(new LocationListEntry(base + start, base + end, false, expression(r, r.u16())));
        }
    }

    private static List<LocationListEntry> loclists(DwarfUnit unit, DwarfReader r) throws DwarfFormatException {
        int size = unit.header.addressSize();
        long base = unit.baseAddress;
        List<LocationListEntry> out = new ArrayList<>();
        while (true) {
            int at = r.position();
            int kind = r.u8();
            switch (kind) {
                case DW_LLE_end_of_list:
                    return List.copyOf(out);
                case DW_LLE_base_addressx:
                    base = unit.indexedAddress(r.uleb());
                    break;
                case DW_LLE_startx_endx: {
                    long s = unit.indexedAddress(r.uleb());
                    long e = unit.indexedAddress(r.uleb());
                    out.add(entry(s, e, r));
                    break;
                }
                case DW_LLE_startx_length: {
                    long s = unit.indexedAddress(r.uleb());
                    out.add(entry(s, s + r.uleb(), r));
                    break;
                }
                case DW_LLE_offset_pair: {
                    long s = r.uleb();
                    out.add(entry(base + s, base + r.uleb(), r));
                    break;
                }
                case DW_LLE_default_location:
                    out.add(new LocationListEntry(0, 0, true, expression(r, r.uleb())));
                    break;
                case DW_LLE_base_address:
                    base = r.unsigned(size);
                    break;
                case DW_LLE_start_end: {
                    long s = r.unsigned(size);
                    out.add(entry(s, r.unsigned(size), r));
                    break;
                }
                case DW_LLE_start_length: {
                    long s = r.unsigned(size);
                    out.add(entry(s, s + r.uleb(), r));
                    break;
                }
                case DW_LLE_GNU_view_pair:
                    r.uleb();
                    r.uleb();
                    break;
                default:
                    throw r.error(at, "unknown location list entry kind 0x" + Integer.toHexString(kind));
            }
        }
    }

    private static LocationListEntry entry(long start, long end, DwarfReader r) throws DwarfFormatException {
        if (Long.compareUnsigned(end, start) < 0) {
            throw r.error(r.position(), "location range ends before it starts");
        }
        return new LocationListEntry(start, end, false, expression(r, r.uleb()));
    }

    private static LocationExpression expression(DwarfReader r, long length) throws DwarfFormatException {
        if (length > FormReader.MAX_BLOCK || length > r.remaining()) {
            throw r.error(r.position(), "location expression of " + Long.toUnsignedString(length)
                    + " bytes runs past the section");
        }
        return new LocationExpression(FormReader.bytes(r, (int) length));
    }
}
