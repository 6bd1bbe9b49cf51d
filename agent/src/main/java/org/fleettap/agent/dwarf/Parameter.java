package org.fleettap.agent.dwarf;

/**
 * A formal parameter of a function, in declaration order: name ("" if unnamed), type, location (none when
 * optimised out), whether it is compiler-generated ({@code this}), and its entry's offset.
 */
public record Parameter(String name, DwarfType type, VariableLocation location, boolean artificial,
        long dieOffset) {
}
