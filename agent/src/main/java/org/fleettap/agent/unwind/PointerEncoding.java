package org.fleettap.agent.unwind;

import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.dwarf.DwarfReader;

/** DW_EH_PE pointer encodings of .eh_frame and .eh_frame_hdr: a value format in the low nibble, an application above. */
final class PointerEncoding {
    static final int OMIT = 0xff;
    static final int ABSPTR = 0x00;
    static final int ULEB128 = 0x01;
    static final int UDATA2 = 0x02;
    static final int UDATA4 = 0x03;
    static final int UDATA8 = 0x04;
    static final int SLEB128 = 0x09;
    static final int SDATA2 = 0x0a;
    static final int SDATA4 = 0x0b;
    static final int SDATA8 = 0x0c;

    static final int PCREL = 0x10;
    static final int TEXTREL = 0x20;
    static final int DATAREL = 0x30;
    static final int FUNCREL = 0x40;
    static final int ALIGNED = 0x50;
    static final int INDIRECT = 0x80;

    /** The base addresses the applications add: where section offset 0 is, .text, the data base, the function. */
    record Bases(long section, long text, long data, long function) {
        Bases withFunction(long f) {
            return new Bases(section, text, data, f);
        }
    }

    private PointerEncoding() {
    }

    /** Whether {@code enc} is an encoding this reader understands (or OMIT). */
    static void check(DwarfReader r, long at, int enc) throws DwarfFormatException {
        if (enc == OMIT) {
            return;
        }
        int format = enc & 0x0f;
        int app = enc & 0x70;
        boolean formatOk = format <= UDATA8 || (format >= SLEB128 && format <= SDATA8);
        if (!formatOk || app > ALIGNED) {
            throw r.error(at, "unknown pointer encoding 0x" + Integer.toHexString(enc));
        }
    }

    /**
     * Reads a pointer encoded as {@code enc} and applies its base; an INDIRECT pointer is returned as the address
     * of the pointer (there is no process memory to read it from).
     */
    static long read(DwarfReader r, int enc, Bases bases) throws DwarfFormatException {
        int at = r.position();
        check(r, at, enc);
        if (enc == OMIT) {
            throw r.error(at, "omitted pointer read");
        }
        int app = enc & 0x70;
        if (app == ALIGNED) {
            int pad = (8 - (r.position() & 7)) & 7;
            r.skip(pad);
        }
        int fieldAt = r.position();
        long value = value(r, enc & 0x0f);
        switch (app) {
            case 0, ALIGNED -> {
                return value;
            }
            case PCREL -> {
                return bases.section() + fieldAt + value;
            }
            case TEXTREL -> {
                return bases.text() + value;
            }
            case DATAREL -> {
                return bases.data() + value;
            }
            case FUNCREL -> {
                return bases.function() + value;
            }
            default -> throw r.error(at, "unknown pointer application 0x" + Integer.toHexString(app));
        }
    }

    /** Reads the value of format {@code format} (the low nibble) without any application: an FDE's pc range. */
    static long value(DwarfReader r, int format) throws DwarfFormatException {
        switch (format) {
            case ABSPTR, UDATA8, SDATA8 -> {
                return r.u64();
            }
            case ULEB128 -> {
                return r.uleb();
            }
            case UDATA2 -> {
                return r.u16();
            }
            case UDATA4 -> {
                return r.u32();
            }
            case SLEB128 -> {
                return r.sleb();
            }
            case SDATA2 -> {
                return r.s16();
            }
            case SDATA4 -> {
                return r.s32();
            }
            default -> throw r.error(r.position(), "unknown pointer format 0x" + Integer.toHexString(format));
        }
    }

    /** Bytes of a fixed-size format; -1 for LEB128 (not usable in the binary search table). */
    static int fixedSize(int enc) {
        return switch (enc & 0x0f) {
            case ABSPTR, UDATA8, SDATA8 -> 8;
            case UDATA2, SDATA2 -> 2;
            case UDATA4, SDATA4 -> 4;
            default -> -1;
        };
    }
}
