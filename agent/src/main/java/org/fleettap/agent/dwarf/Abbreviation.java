package org.fleettap.agent.dwarf;

import java.util.List;

/** A .debug_abbrev declaration: the tag, whether entries have children, and the attributes in order. */
record Abbreviation(long code, int tag, boolean hasChildren, List<AttributeSpec> attributes) {
    Abbreviation {
        attributes = List.copyOf(attributes);
    }
}
