package org.fleettap.agent.dwarf;

import java.util.ArrayList;
import java.util.List;

/** One debugging information entry: its offset, tag, attributes, tree links and unit. Built once, then read-only. */
final class Die {
    final long offset;
    final int tag;
    final AttributeValue[] attributes;
    final Die parent;
    final DwarfUnit unit;
    private List<Die> children = List.of();

    Die(long offset, int tag, AttributeValue[] attributes, Die parent, DwarfUnit unit) {
        this.offset = offset;
        this.tag = tag;
        this.attributes = attributes;
        this.parent = parent;
        this.unit = unit;
    }

    void addChild(Die child) {
        if (children.isEmpty()) {
            children = new ArrayList<>(4);
        }
        children.add(child);
    }

    List<Die> children() {
        return children;
    }

    /** The attribute {@code at} of this entry itself, or null. */
    AttributeValue attr(int at) {
        for (AttributeValue a : attributes) {
            if (a.attribute() == at) {
                return a;
            }
        }
        return null;
    }

    boolean has(int at) {
        return attr(at) != null;
    }

    /** A flag attribute (absent is false). */
    boolean flag(int at) {
        AttributeValue a = attr(at);
        return a != null && a.value() != 0;
    }

    @Override
    public String toString() {
        return "DIE 0x" + Long.toHexString(offset) + " tag 0x" + Integer.toHexString(tag);
    }
}
