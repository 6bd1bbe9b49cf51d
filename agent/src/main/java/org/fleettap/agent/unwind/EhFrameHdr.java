package org.fleettap.agent.unwind;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.dwarf.DwarfReader;

/** The .eh_frame_hdr: where .eh_frame is, and a table of (initial pc, FDE address) sorted by pc to search. */
final class EhFrameHdr {
    /** Returned by {@link #lookup} when no entry starts at or below the pc. */
    static final long NONE = -1;

    private final ByteBuffer bytes;
    private final PointerEncoding.Bases bases;
    private final long ehFrameAddress;
    private final long count;
    private final int tableEncoding;
    private final int tableStart;
    private final int entrySize;

    private EhFrameHdr(ByteBuffer bytes, PointerEncoding.Bases bases, long ehFrameAddress, long count,
            int tableEncoding, int tableStart, int entrySize) {
        this.bytes = bytes;
        this.bases = bases;
        this.ehFrameAddress = ehFrameAddress;
        this.count = count;
        this.tableEncoding = tableEncoding;
        this.tableStart = tableStart;
        this.entrySize = entrySize;
    }

    /** Parses the header of a .eh_frame_hdr loaded at link-time {@code address}. */
    static EhFrameHdr parse(ByteBuffer hdr, long address) throws DwarfFormatException {
        ByteBuffer b = hdr.slice().order(ByteOrder.LITTLE_ENDIAN);
        PointerEncoding.Bases bases = new PointerEncoding.Bases(address, 0, address, 0);
        DwarfReader r = new DwarfReader(".eh_frame_hdr", b);
        int version = r.u8();
        if (version != 1) {
            throw r.error(0, "unsupported version " + version);
        }
        int ptrEnc = r.u8();
        int countEnc = r.u8();
        int tableEnc = r.u8();
        long ehFrame = PointerEncoding.read(r, ptrEnc, bases);
        long count = 0;
        int entrySize = 0;
        if (countEnc != PointerEncoding.OMIT && tableEnc != PointerEncoding.OMIT) {
            count = PointerEncoding.read(r, countEnc, bases);
            int size = PointerEncoding.fixedSize(tableEnc);
            PointerEncoding.check(r, 3, tableEnc);
            if (size < 0 || (tableEnc & 0x70) == PointerEncoding.ALIGNED
                    || (tableEnc & PointerEncoding.INDIRECT) != 0) {
                throw r.error(3, "table encoding 0x" + Integer.toHexString(tableEnc) + " is not searchable");
            }
            entrySize = 2 * size;
            if (count < 0 || count > r.remaining() / entrySize) {
                throw r.error(r.position(), "table of " + count + " entries does not fit ("
                        + r.remaining() + " bytes left)");
            }
        }
        return new EhFrameHdr(b, bases, ehFrame, count, tableEnc, r.position(), entrySize);
    }

    /** The address of .eh_frame the header names. */
    long ehFrameAddress() {
        return ehFrameAddress;
    }

    boolean hasTable() {
        return count > 0;
    }

    long count() {
        return count;
    }

    /** The FDE address of the last entry whose initial pc is at or below {@code pc}, or {@link #NONE}. */
    long lookup(long pc) throws DwarfFormatException {
        long lo = 0;
        long hi = count - 1;
        long found = -1;
        while (lo <= hi) {
            long mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(entry(mid, 0), pc) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? NONE : entry(found, 1);
    }

    private long entry(long index, int field) throws DwarfFormatException {
        DwarfReader r = new DwarfReader(".eh_frame_hdr", bytes);
        r.seek(tableStart + index * entrySize + (long) field * (entrySize / 2));
        return PointerEncoding.read(r, tableEncoding, bases);
    }
}
