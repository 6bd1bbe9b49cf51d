package org.fleettap.agent.dwarf;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Readers over the debug sections of one file, opened on first use; absent sections are errors when read. Tests
 * may replace sections' contents ({@code replaced}) to feed corrupt input.
 */
final class SectionSet {
    private final DwarfSections sections;
    private final Map<String, ByteBuffer> replaced;
    private final Map<String, DwarfReader> readers = new HashMap<>();

    SectionSet(DwarfSections sections) {
        this(sections, Map.of());
    }

    SectionSet(DwarfSections sections, Map<String, ByteBuffer> replaced) {
        this.sections = sections;
        this.replaced = Map.copyOf(replaced);
    }

    boolean has(String name) {
        return replaced.containsKey(name) || sections.has(name);
    }

    /** A fresh reader over {@code name} positioned at {@code offset}. */
    synchronized DwarfReader at(String name, long offset) throws DwarfFormatException {
        DwarfReader r = readers.get(name);
        if (r == null) {
            ByteBuffer b = replaced.get(name);
            r = b != null ? new DwarfReader(name, b.duplicate()) : sections.reader(name);
            readers.put(name, r);
        }
        return r.at(offset);
    }
}
