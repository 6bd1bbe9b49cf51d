package org.fleettap.agent.perf;

import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.fleettap.agent.internal.sys.NativeException;
import org.fleettap.agent.internal.sys.Syscalls;

/**
 * The mmap'd ring buffer of one CPU: one metadata page and 2^n data pages shared (PERF_EVENT_IOC_SET_OUTPUT) by
 * every event of that CPU. Read through a {@link RingBuffer} over a direct ByteBuffer; closing unmaps it.
 */
public final class PerfBuffer implements AutoCloseable {
    /** x86-64 page size. */
    public static final int PAGE_SIZE = 4096;

    private final PerfEvent owner;
    private final Pointer address;
    private final long length;
    private final RingBuffer ring;
    private boolean closed;

    private PerfBuffer(PerfEvent owner, Pointer address, long length, RingBuffer ring) {
        this.owner = owner;
        this.address = address;
        this.length = length;
        this.ring = ring;
    }

    /** Maps {@code dataPages} (a power of two) of ring buffer for {@code owner}, the first event of a CPU. */
    public static PerfBuffer map(PerfEvent owner, int dataPages, IdRegistry registry, RecordCounters counters)
            throws NativeException {
        if (dataPages <= 0 || Integer.bitCount(dataPages) != 1) {
            throw new IllegalArgumentException("data pages must be a power of two: " + dataPages);
        }
        long length = (long) (dataPages + 1) * PAGE_SIZE;
        Pointer p = Syscalls.mmap(length, Syscalls.PROT_READ | Syscalls.PROT_WRITE, Syscalls.MAP_SHARED,
                owner.fd(), 0);
        ByteBuffer region = p.getByteBuffer(0, length).order(ByteOrder.LITTLE_ENDIAN);
        RingBuffer ring = new RingBuffer(region, PAGE_SIZE, registry, counters);
        ring.setCpu(owner.cpu());
        return new PerfBuffer(owner, p, length, ring);
    }

    public PerfEvent owner() {
        return owner;
    }

    public RingBuffer ring() {
        return ring;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Syscalls.munmap(address, length);
        } catch (NativeException e) {
            // The mapping goes away with the process; nothing else to do.
        }
    }
}
