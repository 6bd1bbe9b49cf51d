package org.fleettap.agent.unwind;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.dwarf.DwarfSections;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.Section;

/**
 * The call frame information of one ELF file: its {@code .eh_frame} (searched through {@code .eh_frame_hdr} when
 * present) and its {@code .debug_frame}, consulted in that order. Parsed lazily from the file's bytes, no I/O;
 * addresses are link-time. Safe to share between threads; build one per file and keep it.
 */
public final class CallFrameInfo {
    private final List<FrameSection> sections;

    CallFrameInfo(List<FrameSection> sections) {
        this.sections = List.copyOf(sections);
    }

    /** The CFI of {@code elf}; empty (every lookup finds nothing) when the file has neither section. */
    public static CallFrameInfo of(ElfFile elf) throws DwarfFormatException {
        List<FrameSection> found = new ArrayList<>(2);
        Optional<Section> eh = elf.section(".eh_frame").filter(s -> s.hasContents() && s.size() > 0);
        if (eh.isPresent()) {
            Optional<EhFrameHdr> hdr = Optional.empty();
            Optional<Section> h = elf.section(".eh_frame_hdr").filter(s -> s.hasContents() && s.size() > 0);
            if (h.isPresent()) {
                hdr = Optional.of(EhFrameHdr.parse(elf.contents(h.get()), h.get().addr()));
            }
            long text = elf.section(".text").map(Section::addr).orElse(0L);
            long data = elf.section(".got").map(Section::addr).orElse(0L);
            found.add(FrameSection.ehFrame(elf.contents(eh.get()), eh.get().addr(), text, data, hdr));
        }
        Optional<ByteBuffer> debug = new DwarfSections(elf).section(".debug_frame");
        if (debug.isPresent() && debug.get().hasRemaining()) {
            found.add(FrameSection.debugFrame(debug.get()));
        }
        return new CallFrameInfo(found);
    }

    /** Whether there is no CFI at all. */
    public boolean isEmpty() {
        return sections.isEmpty();
    }

    List<FrameSection> sections() {
        return sections;
    }

    /** The row for link-time {@code pc}, from the first section with an FDE covering it. */
    Optional<UnwindRow> row(long pc) throws DwarfFormatException {
        for (FrameSection s : sections) {
            Optional<Fde> fde = s.find(pc);
            if (fde.isPresent()) {
                return Optional.of(CfiProgram.row(s, fde.get(), pc));
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("CallFrameInfo[");
        for (FrameSection s : sections) {
            b.append(b.length() > 14 ? ", " : "").append(s.name()).append(s.hasSearchTable() ? "+hdr" : "");
        }
        return b.append(']').toString();
    }
}
