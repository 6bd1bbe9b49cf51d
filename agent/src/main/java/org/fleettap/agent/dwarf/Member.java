package org.fleettap.agent.dwarf;

/**
 * A data member of a struct, class or union (or a base class, named after it): its name ("" when anonymous),
 * byte offset from the start of the enclosing object, type, and, for bit fields, the bit size and the bit
 * position from the start of the object (for other members, bitSize is 0 and bitPosition is offset * 8).
 */
public record Member(String name, long offset, DwarfType type, int bitSize, long bitPosition) {
    public boolean isBitField() {
        return bitSize != 0;
    }
}
