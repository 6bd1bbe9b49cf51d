package org.fleettap.agent.dwarf;

/**
 * One row of a DWARF line table: the line-number state machine's registers when it appended a row.
 *
 * @param address the machine address (for VLIW code, of the bundle holding op {@code opIndex})
 * @param opIndex the operation within a VLIW bundle; 0 on other machines
 * @param file the source file's path as far as the line table (and the compilation directory) name it
 * @param line the source line, 1-based; 0 when the code has no line
 * @param column the source column, 1-based; 0 when unknown
 * @param isStmt whether the address is a recommended breakpoint for the line
 * @param endSequence whether this row is the address just past a contiguous sequence (its other fields mean nothing)
 * @param discriminator the block discriminator (several blocks on one line), 0 if none
 * @param prologueEnd whether the address is where a function's prologue ends
 * @param epilogueBegin whether the address is where a function's epilogue begins
 */
public record LineRow(long address, int opIndex, String file, int line, int column, boolean isStmt,
        boolean endSequence, int discriminator, boolean prologueEnd, boolean epilogueBegin) {
    @Override
    public String toString() {
        return file + ":" + line + (column > 0 ? ":" + column : "") + "@0x" + Long.toHexString(address)
                + (isStmt ? " stmt" : "") + (endSequence ? " end" : "")
                + (discriminator != 0 ? " discriminator " + discriminator : "");
    }
}
