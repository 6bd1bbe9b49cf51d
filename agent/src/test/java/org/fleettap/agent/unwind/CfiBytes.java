package org.fleettap.agent.unwind;

import org.fleettap.agent.testing.LeBytes;

/** Builds CFI sections byte by byte for tests: a little-endian writer with LEB128 and entry framing. */
final class CfiBytes extends LeBytes<CfiBytes> {

    /** Appends a 32-bit-length entry whose body (after the length) is {@code body}, padded to 8 bytes. */
    CfiBytes entry(CfiBytes body) {
        byte[] b = body.toArray();
        int pad = (8 - ((4 + b.length) & 7)) & 7;
        u32(b.length + pad);
        bytes(b);
        for (int i = 0; i < pad; i++) {
            u8(0); // DW_CFA_nop
        }
        return this;
    }
}
