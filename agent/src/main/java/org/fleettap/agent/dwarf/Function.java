package org.fleettap.agent.dwarf;

import java.util.List;
import java.util.Optional;

/**
 * A function (DW_TAG_subprogram) with names resolved through its abstract_origin/specification chain: entry
 * offset, name ("" if none), name qualified by namespaces and classes, linkage (mangled) name, code ranges
 * (empty for declarations and abstract inline instances), entry pc (-1 without code), declaration file index
 * and line (0 if unknown), and whether it is external, only a declaration, or a member function (has
 * {@code this}).
 */
public record Function(long dieOffset, String name, String qualifiedName, Optional<String> linkageName,
        List<AddressRange> ranges, long entryPc, int declFile, int declLine, boolean external, boolean declaration,
        boolean memberFunction) {

    public Function {
        ranges = List.copyOf(ranges);
    }

    public boolean hasCode() {
        return !ranges.isEmpty();
    }

    /** Whether {@code address} is in one of the function's ranges. */
    public boolean contains(long address) {
        for (AddressRange r : ranges) {
            if (r.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
