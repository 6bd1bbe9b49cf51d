package org.fleettap.agent.unwind;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.dwarf.DwarfReader;
import org.fleettap.agent.elf.ElfFormatException;

/**
 * One CFI section, {@code .eh_frame} or {@code .debug_frame}, parsed lazily from bytes: entries are decoded when
 * a lookup reaches them. Lookups go through the {@code .eh_frame_hdr} search table when there is one, else through
 * an index of all FDEs sorted by pc, built on first use. Safe to share between threads.
 */
final class FrameSection {
    /** Deepest augmentation string accepted. */
    private static final int MAX_AUGMENTATION = 16;

    private final boolean eh;
    private final String name;
    private final ByteBuffer bytes;
    private final PointerEncoding.Bases bases;
    private final Optional<EhFrameHdr> hdr;
    private final Map<Integer, Cie> cies = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private volatile List<Fde> sorted;
    private volatile String indexError;

    private FrameSection(boolean eh, ByteBuffer bytes, PointerEncoding.Bases bases, Optional<EhFrameHdr> hdr) {
        this.eh = eh;
        this.name = eh ? ".eh_frame" : ".debug_frame";
        this.bytes = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.bases = bases;
        this.hdr = hdr;
    }

    /**
     * An .eh_frame loaded at link-time address {@code address}; {@code text} and {@code data} are the bases of
     * DW_EH_PE_textrel/datarel; {@code hdr} the parsed .eh_frame_hdr, if any.
     */
    static FrameSection ehFrame(ByteBuffer bytes, long address, long text, long data, Optional<EhFrameHdr> hdr) {
        Optional<EhFrameHdr> usable = hdr.filter(h -> h.ehFrameAddress() == address && h.hasTable());
        return new FrameSection(true, bytes, new PointerEncoding.Bases(address, text, data, 0), usable);
    }

    /** A .debug_frame (absolute addresses, CIE ids of all ones). */
    static FrameSection debugFrame(ByteBuffer bytes) {
        return new FrameSection(false, bytes, new PointerEncoding.Bases(0, 0, 0, 0), Optional.empty());
    }

    String name() {
        return name;
    }

    boolean isEhFrame() {
        return eh;
    }

    /** Whether lookups use an .eh_frame_hdr table. */
    boolean hasSearchTable() {
        return hdr.isPresent();
    }

    DwarfReader reader() {
        return new DwarfReader(name, bytes);
    }

    /** Reads a pointer of encoding {@code enc} with this section's bases and {@code function} for funcrel. */
    long readPointer(DwarfReader r, int enc, long function) throws DwarfFormatException {
        if ((enc & PointerEncoding.INDIRECT) != 0) {
            throw r.error(r.position(), "indirect address encoding 0x" + Integer.toHexString(enc));
        }
        return PointerEncoding.read(r, enc, bases.withFunction(function));
    }

    /** The FDE whose range holds link-time {@code pc}, if any. */
    Optional<Fde> find(long pc) throws DwarfFormatException {
        if (hdr.isPresent()) {
            long fdeAddress = hdr.get().lookup(pc);
            if (fdeAddress == EhFrameHdr.NONE) {
                return Optional.empty();
            }
            long off = fdeAddress - bases.section();
            if (off < 0 || off >= bytes.limit()) {
                throw new DwarfFormatException(".eh_frame_hdr: FDE address 0x" + Long.toHexString(fdeAddress)
                        + " is outside .eh_frame");
            }
            Fde fde = fdeAt((int) off);
            return fde.contains(pc) ? Optional.of(fde) : Optional.empty();
        }
        List<Fde> index = index();
        int lo = 0;
        int hi = index.size() - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(index.get(mid).pcBegin(), pc) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        // Overlapping or empty FDEs are rare; look back a little for one that holds pc.
        for (int i = found; i >= 0 && i > found - 4; i--) {
            if (index.get(i).contains(pc)) {
                return Optional.of(index.get(i));
            }
        }
        return Optional.empty();
    }

    /** Every FDE in section order, all parsed; the first bad entry is an error. */
    List<Fde> fdes() throws DwarfFormatException {
        List<Fde> out = new ArrayList<>();
        DwarfReader r = reader();
        int off = 0;
        while (off < bytes.limit()) {
            if (bytes.limit() - off < 4) {
                throw r.error(off, "truncated entry (" + (bytes.limit() - off) + " bytes left)");
            }
            r.seek(off);
            long length = r.initialLength();
            int idAt = r.position();
            if (length == 0) {
                if (eh) {
                    break; // the zero terminator
                }
                off = idAt;
                continue;
            }
            if (length > bytes.limit() - idAt) {
                throw r.error(off, "entry length 0x" + Long.toHexString(length) + " runs past the end");
            }
            long id = readId(r);
            if (isCieId(id, r.isDwarf64())) {
                cie(off);
            } else {
                out.add(fdeAt(off));
            }
            off = idAt + (int) length;
        }
        return out;
    }

    /** The CIE at section offset {@code off}, parsed once. */
    Cie cie(int off) throws DwarfFormatException {
        Cie c = cies.get(off);
        if (c == null) {
            c = parseCie(off);
            cies.put(off, c);
        }
        return c;
    }

    /** The FDE at section offset {@code off}. */
    Fde fdeAt(int off) throws DwarfFormatException {
        DwarfReader r = reader().seek(off);
        long length = r.initialLength();
        if (length == 0) {
            throw r.error(off, "expected an FDE, found a zero terminator");
        }
        DwarfReader body = r.slice(length);
        int idAt = body.position();
        long id = readId(body);
        if (isCieId(id, body.isDwarf64())) {
            throw r.error(off, "expected an FDE, found a CIE");
        }
        long cieOff = eh ? idAt - id : id;
        if (cieOff < 0 || cieOff >= bytes.limit() || cieOff == off) {
            throw r.error(idAt, "CIE pointer 0x" + Long.toHexString(id) + " points outside the section");
        }
        Cie cie = cie((int) cieOff);
        long begin;
        long range;
        if (eh) {
            int enc = cie.fdeEncoding();
            if ((enc & PointerEncoding.INDIRECT) != 0) {
                throw r.error(body.position(), "indirect FDE pc_begin encoding 0x" + Integer.toHexString(enc));
            }
            begin = PointerEncoding.read(body, enc, bases);
            range = PointerEncoding.value(body, enc & 0x0f);
        } else {
            begin = body.unsigned(cie.addressSize());
            range = body.unsigned(cie.addressSize());
        }
        if (cie.hasAugmentationData()) {
            long augLength = body.uleb();
            body.skip(augLength); // the LSDA pointer: not needed to unwind
        }
        return new Fde(off, cie, begin, begin + range, body.position(), body.end());
    }

    private Cie parseCie(int off) throws DwarfFormatException {
        DwarfReader r = reader().seek(off);
        long length = r.initialLength();
        if (length == 0) {
            throw r.error(off, "expected a CIE, found a zero terminator");
        }
        DwarfReader body = r.slice(length);
        long id = readId(body);
        if (!isCieId(id, body.isDwarf64())) {
            throw r.error(off, "expected a CIE, found an FDE");
        }
        int versionAt = body.position();
        int version = body.u8();
        if (version != 1 && version != 3 && version != 4) {
            throw body.error(versionAt, "unsupported CIE version " + version);
        }
        String aug = body.cstring();
        if (aug.length() > MAX_AUGMENTATION) {
            throw body.error(versionAt, "implausible augmentation \"" + ElfFormatException.printable(aug) + "\"");
        }
        int addressSize = 8;
        if (aug.contains("eh")) {
            body.u64(); // the old GCC "eh" augmentation: an exception table pointer
        }
        if (version >= 4) {
            addressSize = body.u8();
            int segmentSize = body.u8();
            if (addressSize != 4 && addressSize != 8) {
                throw body.error(versionAt, "unsupported address size " + addressSize);
            }
            if (segmentSize != 0) {
                throw body.error(versionAt, "segmented addresses (segment selector size " + segmentSize + ")");
            }
        }
        long codeAlign = body.uleb();
        long dataAlign = body.sleb();
        long ra = version == 1 ? body.u8() : body.uleb();
        if (ra > 0xffff) {
            throw body.error(versionAt, "return address register " + ra);
        }
        int fdeEncoding = PointerEncoding.ABSPTR;
        int lsdaEncoding = PointerEncoding.OMIT;
        boolean signal = false;
        boolean augData = aug.startsWith("z");
        if (augData) {
            long augLength = body.uleb();
            DwarfReader data = body.slice(augLength);
            for (int i = 1; i < aug.length(); i++) {
                char c = aug.charAt(i);
                if (c == 'R') {
                    fdeEncoding = data.u8();
                    PointerEncoding.check(data, data.position() - 1, fdeEncoding);
                    if (fdeEncoding == PointerEncoding.OMIT) {
                        throw data.error(data.position() - 1, "omitted FDE pointer encoding");
                    }
                } else if (c == 'L') {
                    lsdaEncoding = data.u8();
                    PointerEncoding.check(data, data.position() - 1, lsdaEncoding);
                } else if (c == 'P') {
                    int enc = data.u8();
                    if (enc != PointerEncoding.OMIT) {
                        PointerEncoding.read(data, enc, bases); // the personality routine: not needed
                    }
                } else if (c == 'S') {
                    signal = true;
                } else if (c == 'B' || c == 'G') {
                    continue; // AArch64 B-key and MTE tagged frames: nothing to read
                } else {
                    break; // unknown letter: the length says where the data ends
                }
            }
        } else if (!aug.isEmpty() && !aug.equals("eh")) {
            throw body.error(versionAt, "unknown augmentation \"" + ElfFormatException.printable(aug)
                    + "\" without 'z'");
        }
        return new Cie(off, version, aug, addressSize, codeAlign, dataAlign, (int) ra, augData, fdeEncoding,
                lsdaEncoding, signal, body.position(), body.end());
    }

    private List<Fde> index() throws DwarfFormatException {
        List<Fde> s = sorted;
        if (s != null) {
            return s;
        }
        synchronized (lock) {
            if (sorted != null) {
                return sorted;
            }
            if (indexError != null) {
                throw new DwarfFormatException(indexError);
            }
            try {
                List<Fde> all = new ArrayList<>(fdes());
                all.sort(Comparator.comparing(Fde::pcBegin, Long::compareUnsigned));
                sorted = List.copyOf(all);
                return sorted;
            } catch (DwarfFormatException e) {
                indexError = e.getMessage();
                throw e;
            }
        }
    }

    private long readId(DwarfReader r) throws DwarfFormatException {
        return eh ? r.u32() : r.offset();
    }

    private boolean isCieId(long id, boolean dwarf64) {
        if (eh) {
            return id == 0;
        }
        return dwarf64 ? id == -1L : id == 0xffffffffL;
    }
}
