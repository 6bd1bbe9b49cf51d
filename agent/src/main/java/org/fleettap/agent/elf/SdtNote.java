package org.fleettap.agent.elf;

import java.util.List;
import java.util.Objects;

/**
 * One USDT probe from {@code .note.stapsdt}. {@code pc}, {@code base} and {@code semaphore} are as stored in the note
 * (semaphore 0 = none); {@code address} and {@code semaphoreAddress} are shifted by (.stapsdt.base address − base)
 * when the file was moved after linking (prelink); {@code fileOffset} is the uprobe offset of the probe and
 * {@code semaphoreFileOffset} the uprobe {@code ref_ctr_offset} (0 without a semaphore).
 */
public record SdtNote(String provider, String name, long pc, long base, long semaphore, String argString,
        List<SdtArg> args, long address, long fileOffset, long semaphoreAddress, long semaphoreFileOffset) {
    public SdtNote {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(argString, "argString");
        args = List.copyOf(args);
    }

    /** Whether the probe is guarded by a semaphore that a tracer must increment. */
    public boolean hasSemaphore() {
        return semaphore != 0;
    }

    /** "provider:name", as tools print probes. */
    public String qualifiedName() {
        return provider + ":" + name;
    }
}
