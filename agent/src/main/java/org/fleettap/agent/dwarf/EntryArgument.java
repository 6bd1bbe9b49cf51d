package org.fleettap.agent.dwarf;

/**
 * Where a parameter is at the function's entry point under the SysV x86-64 ABI: in an integer register
 * ({@code register}), on the stack at {@code stackOffset}(%rsp) (8 is the first stack argument, just above the
 * return address), or not readable there, with a one-line {@code reason}.
 */
public record EntryArgument(Parameter parameter, Placement placement, String register, long stackOffset,
        String reason) {
    /** How a parameter can be read at entry. */
    public enum Placement {
        REGISTER, STACK, UNREADABLE
    }

    static EntryArgument inRegister(Parameter p, String register) {
        return new EntryArgument(p, Placement.REGISTER, register, -1, "");
    }

    static EntryArgument onStack(Parameter p, long offset) {
        return new EntryArgument(p, Placement.STACK, "rsp", offset, "");
    }

    static EntryArgument unreadable(Parameter p, String reason) {
        return new EntryArgument(p, Placement.UNREADABLE, "", -1, reason);
    }

    public boolean isReadable() {
        return placement != Placement.UNREADABLE;
    }

    public String name() {
        return parameter.name();
    }
}
