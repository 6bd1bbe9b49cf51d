package org.fleettap.agent.tracefs;

/** The type a uprobe fetch argument is read and recorded as ({@code name=FETCHARG:TYPE}). */
public enum FetchType {
    U8(1, false), U16(2, false), U32(4, false), U64(8, false),
    S8(1, true), S16(2, true), S32(4, true), S64(8, true),
    /** Unsigned, shown in hexadecimal by the kernel's text output. */
    X8(1, false), X16(2, false), X32(4, false), X64(8, false),
    /** A NUL-terminated string read from user memory, recorded as {@code __data_loc char[]}. */
    STRING(0, false);

    private final int size;
    private final boolean signed;

    FetchType(int size, boolean signed) {
        this.size = size;
        this.signed = signed;
    }

    /** Bytes in the record for integers; 0 for {@link #STRING}. */
    public int size() {
        return size;
    }

    public boolean signed() {
        return signed;
    }

    /** The kernel's spelling: "u32", "string". */
    public String token() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The type spelled {@code token} ("u32", "string"). */
    public static FetchType ofToken(String token) {
        for (FetchType t : values()) {
            if (t.token().equals(token)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown fetch type '" + token
                + "' (expected u8..u64, s8..s64, x8..x64 or string)");
    }
}
