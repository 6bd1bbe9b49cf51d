package org.fleettap.agent.dwarf;

/**
 * One attribute of an entry as read, before unit bases are applied: {@code value} is the constant, flag, address,
 * index (strx/addrx/loclistx/rnglistx), section offset, type signature, or, for references within a section, the
 * absolute entry offset; {@code string} is set for DW_FORM_string and {@code block} for blocks, exprloc and data16.
 */
record AttributeValue(int attribute, int form, long value, String string, byte[] block) {

    @Override
    public byte[] block() {
        return block == null ? null : block.clone();
    }

    /** The block's length without copying it (0 when there is none). */
    int blockLength() {
        return block == null ? 0 : block.length;
    }
}
