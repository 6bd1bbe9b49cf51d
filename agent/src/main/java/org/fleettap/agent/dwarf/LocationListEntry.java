package org.fleettap.agent.dwarf;

/**
 * One entry of a location list: where the variable is while the pc is in [{@code start}, {@code end}), or, for
 * the DWARF 5 default entry ({@code isDefault}), wherever no other entry applies.
 */
public record LocationListEntry(long start, long end, boolean isDefault, LocationExpression expression) {
    /** Whether this entry applies at {@code pc}. */
    public boolean covers(long pc) {
        return !isDefault && Long.compareUnsigned(pc, start) >= 0 && Long.compareUnsigned(pc, end) < 0;
    }
}
