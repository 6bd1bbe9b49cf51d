package org.fleettap.agent.dwarf;

import static org.fleettap.agent.dwarf.DieConstants.*;

import java.util.List;

/**
 * One unit of .debug_info: its header, root entry and the bases (str_offsets, addr, rnglists, loclists, base
 * address) that turn attribute values into strings, addresses, range lists and location lists.
 */
final class DwarfUnit {
    final UnitHeader header;
    final SectionSet sections;
    /** Added to .debug_types offsets so they do not collide with .debug_info ones (0 for .debug_info). */
    final long bias;
    Die root;
    long strOffsetsBase;
    long addrBase;
    long rnglistsBase;
    long loclistsBase;
    long baseAddress;
    long language;

    DwarfUnit(UnitHeader header, SectionSet sections, long bias) {
        this.header = header;
        this.sections = sections;
        this.bias = bias;
        int headerSize = header.dwarf64() ? 16 : 8;
        this.strOffsetsBase = headerSize;
        this.addrBase = headerSize;
        this.rnglistsBase = headerSize + 4;
        this.loclistsBase = headerSize + 4;
    }

    /** Takes the bases and language from the root entry (called once the root is read). */
    void setRoot(Die root) throws DwarfFormatException {
        this.root = root;
        for (AttributeValue a : root.attributes) {
            switch (a.attribute()) {
                case DW_AT_str_offsets_base -> strOffsetsBase = a.value();
                case DW_AT_addr_base, DW_AT_GNU_addr_base -> addrBase = a.value();
                case DW_AT_rnglists_base -> rnglistsBase = a.value();
                case DW_AT_loclists_base -> loclistsBase = a.value();
                case DW_AT_language -> language = a.value();
                default -> { }
            }
        }
        AttributeValue low = root.attr(DW_AT_low_pc);
        if (low != null) {
            baseAddress = address(low);
        }
    }

    boolean isC() {
        return DieConstants.isC(language);
    }

    /** The string value of {@code a} (string, strp, line_strp, strx*). */
    String string(AttributeValue a) throws DwarfFormatException {
        switch (a.form()) {
            case DW_FORM_string:
                return a.string();
            case DW_FORM_strp:
                return sections.at(".debug_str", a.value()).cstring();
            case DW_FORM_line_strp:
                return sections.at(".debug_line_str", a.value()).cstring();
            case DW_FORM_strx, DW_FORM_strx1, DW_FORM_strx2, DW_FORM_strx3, DW_FORM_strx4, DW_FORM_GNU_str_index: {
                long entry = index(a.value(), header.offsetSize(), strOffsetsBase);
                DwarfReader offsets = sections.at(".debug_str_offsets", entry);
                offsets.setDwarf64(header.dwarf64());
                return sections.at(".debug_str", offsets.offset()).cstring();
            }
            case DW_FORM_GNU_strp_alt, DW_FORM_strp_sup:
                throw unsupported(a);
            default:
                throw new DwarfFormatException(where() + ": attribute 0x" + Integer.toHexString(a.attribute())
                        + " has form 0x" + Integer.toHexString(a.form()) + ", not a string");
        }
    }

    /** The address value of {@code a} (addr, addrx*). */
    long address(AttributeValue a) throws DwarfFormatException {
        switch (a.form()) {
            case DW_FORM_addr:
                return a.value();
            case DW_FORM_addrx, DW_FORM_addrx1, DW_FORM_addrx2, DW_FORM_addrx3, DW_FORM_addrx4,
                    DW_FORM_GNU_addr_index:
                return indexedAddress(a.value());
            default:
                throw new DwarfFormatException(where() + ": attribute 0x" + Integer.toHexString(a.attribute())
                        + " has form 0x" + Integer.toHexString(a.form()) + ", not an address");
        }
    }

    /** Entry {@code index} of this unit's .debug_addr table. */
    long indexedAddress(long index) throws DwarfFormatException {
        long entry = index(index, header.addressSize(), addrBase);
        return sections.at(".debug_addr", entry).unsigned(header.addressSize());
    }

    /** The absolute offset of the entry that reference {@code a} names. */
    long reference(AttributeValue a) throws DwarfFormatException {
        if (FormReader.isUnitReference(a.form()) || a.form() == DW_FORM_ref_addr) {
            return a.value();
        }
        if (a.form() == DW_FORM_GNU_ref_alt || a.form() == DW_FORM_ref_sup4 || a.form() == DW_FORM_ref_sup8) {
            throw unsupported(a);
        }
        throw new DwarfFormatException(where() + ": attribute 0x" + Integer.toHexString(a.attribute())
                + " has form 0x" + Integer.toHexString(a.form()) + ", not a reference");
    }

    /** Whether {@code a} is a constant (data, sdata, udata, implicit_const). */
    static boolean isConstant(AttributeValue a) {
        int f = a.form();
        return f == DW_FORM_data1 || f == DW_FORM_data2 || f == DW_FORM_data4 || f == DW_FORM_data8
                || f == DW_FORM_sdata || f == DW_FORM_udata || f == DW_FORM_implicit_const;
    }

    /** The address ranges of entry {@code die}: low_pc/high_pc, or DW_AT_ranges; empty when it has no code. */
    List<AddressRange> ranges(Die die) throws DwarfFormatException {
        AttributeValue ranges = die.attr(DW_AT_ranges);
        if (ranges != null) {
            return RangeLists.read(this, ranges, die == root);
        }
        AttributeValue low = die.attr(DW_AT_low_pc);
        AttributeValue high = die.attr(DW_AT_high_pc);
        if (low == null) {
            return List.of();
        }
        long start = address(low);
        if (high == null) {
            return List.of(new AddressRange(start, start + 1));
        }
        long end = isConstant(high) ? start + high.value() : address(high);
        if (Long.compareUnsigned(end, start) < 0) {
            throw new DwarfFormatException(where() + ": " + die + " has high_pc 0x" + Long.toHexString(end)
                    + " below low_pc 0x" + Long.toHexString(start));
        }
        return List.of(new AddressRange(start, end));
    }

    /** The location of {@code die} (DW_AT_location): none, one expression, or a location list. */
    VariableLocation location(Die die) throws DwarfFormatException {
        AttributeValue a = die.attr(DW_AT_location);
        if (a == null) {
            return VariableLocation.NONE;
        }
        if (a.block() != null) {
            return VariableLocation.of(new LocationExpression(a.block()));
        }
        return VariableLocation.of(LocationLists.read(this, a));
    }

    /** "unit at .debug_info+0xOFF" for messages. */
    String where() {
        return (bias == 0 ? ".debug_info" : ".debug_types") + "+0x" + Long.toHexString(header.offset());
    }

    private long index(long index, int size, long base) throws DwarfFormatException {
        if (index < 0 || index > Integer.MAX_VALUE / 8) {
            throw new DwarfFormatException(where() + ": index " + Long.toUnsignedString(index) + " is implausible");
        }
        return base + index * size;
    }

    private DwarfFormatException unsupported(AttributeValue a) {
        return new DwarfFormatException(where() + ": form 0x" + Integer.toHexString(a.form())
                + " (a reference into a supplementary/dwz alternate debug file) is not supported");
    }
}
