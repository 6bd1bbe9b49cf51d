package org.fleettap.agent.dwarf;

/**
 * Where {@code $return} is at a function's return under the SysV x86-64 ABI: its type and the integer register
 * holding it ("rax"), or "" with a one-line {@code reason} when it cannot be read there (void, floating point,
 * aggregates).
 */
public record ReturnValue(DwarfType type, String register, String reason) {
    public boolean isReadable() {
        return !register.isEmpty();
    }
}
