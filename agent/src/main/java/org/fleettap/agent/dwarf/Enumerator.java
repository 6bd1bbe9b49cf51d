package org.fleettap.agent.dwarf;

/** One named value of an enumeration. */
public record Enumerator(String name, long value) {
}
