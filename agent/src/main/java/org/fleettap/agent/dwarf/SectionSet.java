package org.fleettap.agent.dwarf;

import java.util.HashMap;
import java.util.Map;

/** Readers over the debug sections of one file, opened on first use; absent sections are errors when read. */
final class SectionSet {
    private final DwarfSections sections;
    private final Map<String, DwarfReader> readers = new HashMap<>();

    SectionSet(DwarfSections sections) {
        this.sections = sections;
    }

    boolean has(String name) {
        return sections.has(name);
    }

    /** A fresh reader over {@code name} positioned at {@code offset}. */
    synchronized DwarfReader at(String name, long offset) throws DwarfFormatException {
        DwarfReader r = readers.get(name);
        if (r == null) {
            r = sections.reader(name);
            readers.put(name, r);
        }
        return r.at(offset);
    }
}
