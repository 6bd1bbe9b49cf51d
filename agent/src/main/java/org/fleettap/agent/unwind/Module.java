package org.fleettap.agent.unwind;

import java.util.Objects;
import java.util.OptionalLong;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ProgramHeader;

/**
 * A loaded object as the unwinder sees it: a name for messages, its CFI, and its load bias (run-time address
 * minus link-time address; 0 for a non-PIE executable).
 */
public record Module(String name, CallFrameInfo cfi, long bias) {
    /** The page size mappings are aligned to. */
    private static final long PAGE = 4096;

    public Module {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(cfi, "cfi");
    }

    /**
     * The load bias of {@code elf} mapped at {@code mapStart} from file offset {@code mapOffset} (one line of
     * /proc/PID/maps), through the PT_LOAD segment whose file range that offset falls in; empty if none does.
     */
    public static OptionalLong loadBias(ElfFile elf, long mapStart, long mapOffset) {
        for (ProgramHeader p : elf.programHeaders()) {
            if (!p.isLoad()) {
                continue;
            }
            long fileStart = p.offset() & ~(PAGE - 1);
            if (mapOffset >= fileStart && mapOffset < p.offset() + Math.max(p.filesz(), 1)) {
                return OptionalLong.of(mapStart - mapOffset - (p.vaddr() - p.offset()));
            }
        }
        return OptionalLong.empty();
    }
}
