package org.fleettap.agent.perf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Reads the records of one mmap'd perf ring buffer (a {@code perf_event_mmap_page} followed by 2^n data pages) in
 * place. {@code data_head} is read with acquire semantics, {@code data_tail} written with release semantics, and
 * only once per drain. A record that wraps around the end of the data area is copied once into a scratch buffer.
 * A bad record size or head is reported as corruption and resynchronised by dropping everything up to the head.
 * One reader thread only.
 */
public final class RingBuffer {
    /** Offsets of fields in {@code struct perf_event_mmap_page}. */
    static final int DATA_HEAD = 1024;
    static final int DATA_TAIL = 1032;
    static final int DATA_OFFSET = 1040;
    static final int DATA_SIZE = 1048;
    /** The metadata page must reach at least past data_size. */
    static final int MIN_META_SIZE = DATA_SIZE + 8;

    /** Largest record the kernel can write: perf_event_header.size is a u16. */
    static final int MAX_RECORD_SIZE = 0xFFFF & ~7;

    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Told about each corruption before the ring buffer resynchronises. */
    @FunctionalInterface
    public interface CorruptionHandler {
        /** {@code position} is the ring position of the bad record (or the tail), {@code head} the head then seen. */
        void corrupted(long position, long head, String reason);
    }

    private final ByteBuffer meta;
    private final ByteBuffer data;
    private final int dataSize;
    private final int mask;
    private final IdRegistry registry;
    private final RecordCounters counters;
    private final CorruptionHandler corruptionHandler;
    private final PerfRecord view = new PerfRecord();
    private ByteBuffer scratch;

    /** Snapshot of data_head taken by {@link #refresh()}; records are read up to it. */
    private long head;
    /** Ring position of the next record to read. */
    private long position;
    /** Last value written to data_tail. */
    private long committed;
    /** Whether {@link #view} holds the decoded record at {@link #position}, not yet taken. */
    private boolean peeked;

    /**
     * A reader over {@code region}, the whole mapping. The data area is where data_offset/data_size say, or, when
     * they are zero (kernels before 4.1), everything after the first {@code pageSize} bytes.
     */
    public RingBuffer(ByteBuffer region, int pageSize, IdRegistry registry, RecordCounters counters,
            CorruptionHandler corruptionHandler) {
        Objects.requireNonNull(region, "region");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.corruptionHandler = Objects.requireNonNull(corruptionHandler, "corruptionHandler");
        if (pageSize < MIN_META_SIZE || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size " + pageSize + " is not a power of two >= " + MIN_META_SIZE);
        }
        this.meta = region.duplicate().clear().order(ByteOrder.LITTLE_ENDIAN);
        long offset = meta.getLong(DATA_OFFSET);
        long size = meta.getLong(DATA_SIZE);
        if (offset == 0 && size == 0) {
            offset = pageSize;
            size = region.capacity() - (long) pageSize;
        }
        if (size <= 0 || Long.bitCount(size) != 1 || offset < MIN_META_SIZE || offset + size > region.capacity()) {
            throw new IllegalArgumentException("bad data area: data_offset=" + offset + " data_size=" + size
                    + " in a region of " + region.capacity() + " bytes");
        }
        this.dataSize = (int) size;
        this.mask = dataSize - 1;
        this.data = region.duplicate().clear().position((int) offset).limit((int) (offset + size)).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        long tail = tail();
        this.position = tail;
        this.committed = tail;
        this.head = tail;
    }

    /** A reader that only counts corruptions. */
    public RingBuffer(ByteBuffer region, int pageSize, IdRegistry registry, RecordCounters counters) {
        this(region, pageSize, registry, counters, (position, head, reason) -> { });
    }

    /** Size of the data area in bytes (a power of two). */
    /**
     * Declares that this buffer holds the records of one CPU, so {@link PerfRecord#cpu()} answers for records
     * without PERF_SAMPLE_CPU (a per-CPU buffer makes that field redundant).
     */
    public void setCpu(int cpu) {
        view.bufferCpu(cpu);
    }

    public int dataSize() {
        return dataSize;
    }

    /** data_head, read now with acquire semantics. */
    public long head() {
        return (long) LONGS.getAcquire(meta, DATA_HEAD);
    }

    /** data_tail as last written. */
    public long tail() {
        return (long) LONGS.getAcquire(meta, DATA_TAIL);
    }

    /** Ring position of the next record this reader will deliver. */
    public long position() {
        return position;
    }

    /** Bytes published by the kernel and not yet taken, as of the last {@link #refresh()}. */
    public long pending() {
        return head - position;
    }

    /** Counters this reader adds to. */
    public RecordCounters counters() {
        return counters;
    }

    /**
     * Delivers every record published so far to {@code consumer}, then writes data_tail once. Records the kernel
     * publishes meanwhile wait for the next call, so this always ends. Returns the number of records delivered.
     */
    public int drain(RecordConsumer consumer) {
        refresh();
        int n = 0;
        try {
            while (peek()) {
                consumer.accept(take());
                n++;
            }
        } finally {
            commit();
        }
        return n;
    }

    /** Takes a new snapshot of data_head; returns whether records are pending. */
    boolean refresh() {
        long h = head();
        long available = h - position;
        if (available < 0 || available > dataSize) {
            corrupt(position, h, "data_head " + h + " is " + available + " bytes from the read position");
            return false;
        }
        head = h;
        return h != position;
    }

    /**
     * Decodes the next deliverable record into {@link #current()} without consuming it; records of unknown type or
     * id and malformed ones are skipped and counted. Returns false when nothing is left up to the head snapshot.
     */
    boolean peek() {
        if (peeked) {
            return true;
        }
        while (position != head) {
            int at = (int) (position & mask);
            int size = data.getShort(at + 6) & 0xFFFF;
            long available = head - position;
            if (size < 8 || (size & 7) != 0 || size > dataSize || size > available) {
                corrupt(position, head, "record size " + size + " at ring position " + position + " with "
                        + available + " bytes published");
                return false;
            }
            int status;
            if (at + size <= dataSize) {
                status = view.decode(data, at, size, registry);
            } else {
                status = view.decode(copyWrapped(at, size), 0, size, registry);
            }
            switch (status) {
                case PerfRecord.OK:
                    peeked = true;
                    return true;
                case PerfRecord.OK_UNKNOWN_ID:
                    counters.unknownIds++;
                    peeked = true;
                    return true;
                case PerfRecord.SKIP_UNKNOWN_TYPE:
                    counters.unknownTypes++;
                    break;
                case PerfRecord.SKIP_UNKNOWN_ID:
                    counters.unknownIds++;
                    break;
                default:
                    counters.malformed++;
                    break;
            }
            position += size;
        }
        return false;
    }

    /** The record decoded by the last successful {@link #peek()}. */
    PerfRecord current() {
        return view;
    }

    /**
     * Consumes the peeked record and counts it; the returned view stays valid until the next peek, since data_tail
     * only moves on {@link #commit()}.
     */
    PerfRecord take() {
        if (!peeked) {
            throw new IllegalStateException("take() without a successful peek()");
        }
        peeked = false;
        PerfRecord r = view;
        position += r.size();
        RecordCounters c = counters;
        c.records++;
        switch (r.type()) {
            case RecordType.SAMPLE:
                c.samples++;
                break;
            case RecordType.LOST:
                c.lostRecords++;
                c.lost += r.lostCount();
                addLost(r.eventId(), r.lostCount(), false);
                break;
            case RecordType.LOST_SAMPLES:
                c.lostSamples += r.lostCount();
                addLost(r.id(), r.lostCount(), true);
                break;
            case RecordType.THROTTLE:
                c.throttles++;
                break;
            case RecordType.UNTHROTTLE:
                c.unthrottles++;
                break;
            default:
                break;
        }
        return r;
    }

    /** Writes data_tail (release) up to the records taken, if it moved: the kernel may then reuse that space. */
    void commit() {
        if (position != committed) {
            LONGS.setRelease(meta, DATA_TAIL, position);
            committed = position;
        }
    }

    private void addLost(long id, long n, boolean samples) {
        int slot = registry.slot(id);
        if (slot >= 0) {
            if (samples) {
                registry.addLostSamples(slot, n);
            } else {
                registry.addLost(slot, n);
            }
        }
    }

    private ByteBuffer copyWrapped(int at, int size) {
        ByteBuffer s = scratch;
        if (s == null) {
            int capacity = Math.min(MAX_RECORD_SIZE, dataSize);
            s = data.isDirect() ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
            s.order(ByteOrder.LITTLE_ENDIAN);
            scratch = s;
        }
        int first = dataSize - at;
        s.put(0, data, at, first);
        s.put(first, data, 0, size - first);
        return s;
    }

    private void corrupt(long at, long seenHead, String reason) {
        counters.corruptions++;
        peeked = false;
        try {
            corruptionHandler.corrupted(at, seenHead, reason);
        } finally {
            long h = head();
            head = h;
            position = h;
            LONGS.setRelease(meta, DATA_TAIL, h);
            committed = h;
        }
    }

    @Override
    public String toString() {
        return "RingBuffer[dataSize=" + dataSize + ", position=" + position + ", head=" + head + ", tail="
                + committed + "]";
    }
}
