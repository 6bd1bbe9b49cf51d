package org.fleettap.agent.dwarf;

import static org.fleettap.agent.dwarf.DieConstants.*;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** All entries of a file by offset, type units by signature, and following references between entries. */
final class DieIndex {
    /** Longest chain of abstract_origin/specification or type references followed before giving up. */
    static final int MAX_CHAIN = 64;

    final List<DwarfUnit> units;
    private final Map<Long, Die> entries;
    private final Map<Long, Die> typeUnits = new HashMap<>();

    DieIndex(DieParser.Parsed parsed) throws DwarfFormatException {
        this.units = parsed.units();
        this.entries = parsed.entries();
        for (DwarfUnit u : units) {
            if (u.header.unitType() == DW_UT_type) {
                long typeDie = u.header.offset() + u.header.typeOffset() + u.bias;
                typeUnits.put(u.header.typeSignature(), entry(typeDie, "type unit"));
            }
        }
    }

    /** The entry at {@code offset}, or an error saying what referred to it. */
    Die entry(long offset, String what) throws DwarfFormatException {
        Die d = entries.get(offset);
        if (d == null) {
            throw new DwarfFormatException(what + " refers to 0x" + Long.toHexString(offset)
                    + ", which is not the start of an entry");
        }
        return d;
    }

    /** The entry that attribute {@code at} of {@code die} refers to, or null when it has no such attribute. */
    Die referenced(Die die, int at) throws DwarfFormatException {
        AttributeValue a = die.attr(at);
        if (a == null) {
            return null;
        }
        if (a.form() == DW_FORM_ref_sig8) {
            Die t = typeUnits.get(a.value());
            if (t == null) {
                throw new DwarfFormatException(die + " refers to type signature 0x" + Long.toHexString(a.value())
                        + ", which no type unit has");
            }
            return t;
        }
        return entry(die.unit.reference(a), die + " attribute 0x" + Integer.toHexString(at));
    }

    /**
     * Attribute {@code at} of {@code die} or, when absent, of the entries its DW_AT_abstract_origin and
     * DW_AT_specification chain leads to; null if none has it.
     */
    AttributeValue inherited(Die die, int at) throws DwarfFormatException {
        Die d = owner(die, at);
        return d == null ? null : d.attr(at);
    }

    /** The entry along the origin/specification chain of {@code die} that has attribute {@code at}, or null. */
    Die owner(Die die, int at) throws DwarfFormatException {
        Die d = die;
        for (int i = 0; i < MAX_CHAIN; i++) {
            if (d.has(at)) {
                return d;
            }
            Die next = referenced(d, DW_AT_abstract_origin);
            if (next == null) {
                next = referenced(d, DW_AT_specification);
            }
            if (next == null) {
                return null;
            }
            d = next;
        }
        throw new DwarfFormatException(die + ": abstract_origin/specification chain longer than " + MAX_CHAIN
                + " (a cycle?)");
    }

    /** The string of attribute {@code at} (following the origin chain), or null. */
    String inheritedString(Die die, int at) throws DwarfFormatException {
        Die d = owner(die, at);
        return d == null ? null : d.unit.string(d.attr(at));
    }

    /** The name of {@code die} (following the origin chain), or null. */
    String name(Die die) throws DwarfFormatException {
        return inheritedString(die, DW_AT_name);
    }

    /**
     * The name qualified by enclosing namespaces and classes ("ns::Class::method"), found through whichever
     * entry of the origin/specification chain sits inside them.
     */
    String qualifiedName(Die die) throws DwarfFormatException {
        String name = name(die);
        if (name == null) {
            return null;
        }
        Die d = die;
        for (int i = 0; i < MAX_CHAIN && d != null; i++) {
            String scope = scope(d.parent);
            if (!scope.isEmpty()) {
                return scope + "::" + name;
            }
            Die next = referenced(d, DW_AT_abstract_origin);
            d = next != null ? next : referenced(d, DW_AT_specification);
        }
        return name;
    }

    /** "ns::Class" for the namespaces and classes enclosing entry {@code parent} (and it), or "". */
    String scope(Die parent) throws DwarfFormatException {
        StringBuilder sb = new StringBuilder();
        for (Die p = parent; p != null; p = p.parent) {
            String part;
            switch (p.tag) {
                case DW_TAG_namespace -> {
                    String n = p.has(DW_AT_name) ? p.unit.string(p.attr(DW_AT_name)) : null;
                    part = n == null ? "(anonymous namespace)" : n;
                }
                case DW_TAG_structure_type, DW_TAG_class_type, DW_TAG_union_type, DW_TAG_enumeration_type -> {
                    String n = name(p);
                    part = n == null ? "{anonymous}" : n;
                }
                case DW_TAG_subprogram -> {
                    return sb.toString(); // a type local to a function: qualified no further
                }
                default -> part = null;
            }
            if (part != null) {
                sb.insert(0, sb.length() == 0 ? part : part + "::");
            }
        }
        return sb.toString();
    }
}
