package org.fleettap.agent.dwarf;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The abbreviations of one unit, parsed from .debug_abbrev at the unit's abbreviation offset. */
final class AbbreviationTable {
    private final Map<Long, Abbreviation> byCode;

    private AbbreviationTable(Map<Long, Abbreviation> byCode) {
        this.byCode = byCode;
    }

    /** Parses the table starting at {@code offset} in {@code abbrev} (up to its terminating 0 code). */
    static AbbreviationTable parse(DwarfReader abbrev, long offset) throws DwarfFormatException {
        DwarfReader r = abbrev.at(offset);
        Map<Long, Abbreviation> codes = new HashMap<>();
        while (true) {
            int at = r.position();
            long code = r.uleb();
            if (code == 0) {
                return new AbbreviationTable(Map.copyOf(codes));
            }
            long tag = r.uleb();
            if (tag == 0 || tag > 0xffff) {
                throw r.error(at, "abbreviation " + code + " has invalid tag 0x" + Long.toHexString(tag));
            }
            int children = r.u8();
            if (children > 1) {
                throw r.error(at, "abbreviation " + code + " has invalid children flag " + children);
            }
            List<AttributeSpec> specs = new ArrayList<>();
            while (true) {
                long name = r.uleb();
                long form = r.uleb();
                if (name == 0 && form == 0) {
                    break;
                }
                if (name == 0 || form == 0 || name > 0xffff || form > 0xffff) {
                    throw r.error(at, "abbreviation " + code + " has invalid attribute 0x" + Long.toHexString(name)
                            + " form 0x" + Long.toHexString(form));
                }
                long implicit = form == DieConstants.DW_FORM_implicit_const ? r.sleb() : 0;
                specs.add(new AttributeSpec((int) name, (int) form, implicit));
            }
            if (codes.put(code, new Abbreviation(code, (int) tag, children == 1, specs)) != null) {
                throw r.error(at, "duplicate abbreviation code " + code);
            }
        }
    }

    /** The abbreviation with {@code code}, or null. */
    Abbreviation get(long code) {
        return byCode.get(code);
    }

    int size() {
        return byCode.size();
    }
}
