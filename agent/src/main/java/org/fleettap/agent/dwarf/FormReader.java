package org.fleettap.agent.dwarf;

import static org.fleettap.agent.dwarf.DieConstants.*;

/** Reads one attribute value of any DW_FORM from .debug_info (or .debug_types). */
final class FormReader {
    /** Longest block accepted; bigger ones are corrupt input. */
    static final int MAX_BLOCK = 1 << 20;

    private FormReader() {
    }

    /**
     * Reads the value of {@code spec} at the reader's position in a unit with header {@code h}; unit-relative
     * references become absolute entry offsets plus {@code bias} (which separates .debug_types offsets).
     */
    static AttributeValue read(DwarfReader r, AttributeSpec spec, UnitHeader h, long bias)
            throws DwarfFormatException {
        int form = spec.form();
        int at = r.position();
        if (form == DW_FORM_indirect) {
            long actual = r.uleb();
            if (actual == DW_FORM_indirect || actual == DW_FORM_implicit_const || actual > 0xffff) {
                throw r.error(at, "invalid form 0x" + Long.toHexString(actual) + " through DW_FORM_indirect");
            }
            form = (int) actual;
        }
        int attr = spec.attribute();
        switch (form) {
            case DW_FORM_addr:
                return value(attr, form, r.unsigned(h.addressSize()));
            case DW_FORM_data1, DW_FORM_ref1, DW_FORM_flag, DW_FORM_strx1, DW_FORM_addrx1:
                return ref(attr, form, r.u8(), h, bias);
            case DW_FORM_data2, DW_FORM_ref2, DW_FORM_strx2, DW_FORM_addrx2:
                return ref(attr, form, r.u16(), h, bias);
            case DW_FORM_strx3, DW_FORM_addrx3:
                return value(attr, form, r.u24());
            case DW_FORM_data4, DW_FORM_ref4, DW_FORM_strx4, DW_FORM_addrx4, DW_FORM_ref_sup4:
                return ref(attr, form, r.u32(), h, bias);
            case DW_FORM_data8, DW_FORM_ref8, DW_FORM_ref_sig8, DW_FORM_ref_sup8:
                return ref(attr, form, r.u64(), h, bias);
            case DW_FORM_data16:
                return new AttributeValue(attr, form, 0, null, bytes(r, 16));
            case DW_FORM_sdata:
                return value(attr, form, r.sleb());
            case DW_FORM_udata, DW_FORM_ref_udata, DW_FORM_strx, DW_FORM_addrx, DW_FORM_loclistx,
                    DW_FORM_rnglistx, DW_FORM_GNU_addr_index, DW_FORM_GNU_str_index:
                return ref(attr, form, r.uleb(), h, bias);
            case DW_FORM_implicit_const:
                return value(attr, form, spec.implicitConst());
            case DW_FORM_string:
                return new AttributeValue(attr, form, 0, r.cstring(), null);
            case DW_FORM_strp, DW_FORM_line_strp, DW_FORM_sec_offset, DW_FORM_strp_sup, DW_FORM_GNU_strp_alt,
                    DW_FORM_GNU_ref_alt:
                return value(attr, form, r.offset());
            case DW_FORM_ref_addr:
                return value(attr, form, (h.version() <= 2 ? r.unsigned(h.addressSize()) : r.offset()) + bias);
            case DW_FORM_exprloc, DW_FORM_block:
                return block(r, attr, form, r.uleb(), at);
            case DW_FORM_block1:
                return block(r, attr, form, r.u8(), at);
            case DW_FORM_block2:
                return block(r, attr, form, r.u16(), at);
            case DW_FORM_block4:
                return block(r, attr, form, r.u32(), at);
            case DW_FORM_flag_present:
                return value(attr, form, 1);
            default:
                throw r.error(at, "unknown form 0x" + Integer.toHexString(form));
        }
    }

    /** Whether {@code form} refers to an entry of the same unit (its value made absolute on reading). */
    static boolean isUnitReference(int form) {
        return form == DW_FORM_ref1 || form == DW_FORM_ref2 || form == DW_FORM_ref4 || form == DW_FORM_ref8
                || form == DW_FORM_ref_udata;
    }

    private static AttributeValue ref(int attr, int form, long v, UnitHeader h, long bias) {
        return value(attr, form, isUnitReference(form) ? h.offset() + v + bias : v);
    }

    private static AttributeValue value(int attr, int form, long v) {
        return new AttributeValue(attr, form, v, null, null);
    }

    private static AttributeValue block(DwarfReader r, int attr, int form, long length, int at)
            throws DwarfFormatException {
        if (length > MAX_BLOCK || length > r.remaining()) {
            throw r.error(at, "block of " + Long.toUnsignedString(length) + " bytes runs past the unit");
        }
        return new AttributeValue(attr, form, 0, null, bytes(r, (int) length));
    }

    /** The next {@code n} bytes (bounded by what remains). */
    static byte[] bytes(DwarfReader r, int n) throws DwarfFormatException {
        DwarfReader s = r.slice(n);
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            out[i] = (byte) s.u8();
        }
        return out;
    }
}
