package org.fleettap.agent.dwarf;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads every unit of .debug_info (and DWARF 4 .debug_types) into entry trees, iteratively (no recursion). */
final class DieParser {
    /** Offsets of .debug_types entries are biased by this so they never equal .debug_info ones. */
    static final long TYPES_BIAS = 1L << 40;

    private DieParser() {
    }

    /** The units and all their entries by offset. */
    record Parsed(List<DwarfUnit> units, Map<Long, Die> entries) {
    }

    static Parsed parse(SectionSet sections) throws DwarfFormatException {
        List<DwarfUnit> units = new ArrayList<>();
        Map<Long, Die> entries = new HashMap<>();
        Map<Long, AbbreviationTable> abbrevCache = new HashMap<>();
        DwarfReader abbrev = sections.at(".debug_abbrev", 0);
        section(sections, ".debug_info", 0, abbrev, abbrevCache, units, entries);
        if (sections.has(".debug_types")) {
            section(sections, ".debug_types", TYPES_BIAS, abbrev, abbrevCache, units, entries);
        }
        return new Parsed(List.copyOf(units), entries);
    }

    private static void section(SectionSet sections, String name, long bias, DwarfReader abbrev,
            Map<Long, AbbreviationTable> abbrevCache, List<DwarfUnit> units, Map<Long, Die> entries)
            throws DwarfFormatException {
        DwarfReader r = sections.at(name, 0);
        while (r.hasRemaining()) {
            UnitHeader h = UnitHeader.read(r, bias != 0);
            AbbreviationTable table = abbrevCache.get(h.abbrevOffset());
            if (table == null) {
                table = AbbreviationTable.parse(abbrev, h.abbrevOffset());
                abbrevCache.put(h.abbrevOffset(), table);
            }
            DwarfUnit unit = new DwarfUnit(h, sections, bias);
            DwarfReader body = r.at(h.firstDieOffset()).slice(h.end() - h.firstDieOffset());
            body.setDwarf64(h.dwarf64());
            entries(body, h, table, unit, bias, entries);
            if (unit.root == null) {
                throw r.error(h.offset(), "unit has no entries");
            }
            units.add(unit);
            r.seek(h.end());
        }
    }

    private static void entries(DwarfReader r, UnitHeader h, AbbreviationTable table, DwarfUnit unit, long bias,
            Map<Long, Die> entries) throws DwarfFormatException {
        Die parent = null;
        while (r.hasRemaining()) {
            int at = r.position();
            long code = r.uleb();
            if (code == 0) {
                if (parent == null) {
                    continue; // padding after the root's subtree
                }
                parent = parent.parent;
                continue;
            }
            Abbreviation a = table.get(code);
            if (a == null) {
                throw r.error(at, "abbreviation code " + code + " is not in the table at .debug_abbrev+0x"
                        + Long.toHexString(h.abbrevOffset()));
            }
            if (parent == null && unit.root != null) {
                throw r.error(at, "second top-level entry in the unit");
            }
            List<AttributeSpec> specs = a.attributes();
            AttributeValue[] values = new AttributeValue[specs.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = FormReader.read(r, specs.get(i), h, bias);
            }
            Die die = new Die(at + bias, a.tag(), values, parent, unit);
            entries.put(die.offset, die);
            if (parent == null) {
                unit.setRoot(die);
            } else {
                parent.addChild(die);
            }
            if (a.hasChildren()) {
                parent = die;
            }
        }
    }
}
