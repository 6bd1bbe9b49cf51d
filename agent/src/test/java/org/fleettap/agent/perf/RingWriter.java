package org.fleettap.agent.perf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Plays the kernel for tests: a mapped region in the exact perf layout (metadata page, then the data area) into
 * which records are appended at data_head, wrapping around the end of the data area like the kernel does.
 */
final class RingWriter {
    static final int PAGE = 4096;

    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    final ByteBuffer region;
    final int dataOffset;
    final int dataSize;
    private long head;

    private RingWriter(ByteBuffer region, int dataOffset, int dataSize) {
        this.region = region.order(ByteOrder.LITTLE_ENDIAN);
        this.dataOffset = dataOffset;
        this.dataSize = dataSize;
    }

    /** A region of one metadata page and {@code dataPages} data pages, data_offset/data_size left zero (old kernels). */
    static RingWriter pages(int dataPages, boolean direct) {
        int capacity = PAGE * (1 + dataPages);
        return new RingWriter(direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity), PAGE,
                PAGE * dataPages);
    }

    /** A region whose data area of {@code dataSize} bytes follows the metadata page, announced in data_offset/size. */
    static RingWriter sized(int dataSize, boolean direct) {
        int capacity = PAGE + dataSize;
        RingWriter w = new RingWriter(
                direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity), PAGE, dataSize);
        w.region.putLong(RingBuffer.DATA_OFFSET, PAGE);
        w.region.putLong(RingBuffer.DATA_SIZE, dataSize);
        return w;
    }

    /** Moves head and tail to {@code position} (before any reader exists), e.g. to just before the wrap point. */
    RingWriter startAt(long position) {
        head = position;
        LONGS.setRelease(region, RingBuffer.DATA_HEAD, position);
        LONGS.setRelease(region, RingBuffer.DATA_TAIL, position);
        return this;
    }

    /** Appends a record with this header and body (a multiple of 8 bytes), not yet published. */
    RingWriter append(int type, int misc, byte[] body) {
        return appendRaw(type, misc, 8 + body.length, body);
    }

    /** Appends a header declaring {@code size} bytes followed by {@code body}, whatever they are (for corruption). */
    RingWriter appendRaw(int type, int misc, int size, byte[] body) {
        if (head + 8 + body.length - tail() > dataSize) {
            throw new IllegalStateException("ring full: head " + head + " tail " + tail());
        }
        ByteBuffer h = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(type).putShort((short) misc).putShort((short) size);
        write(h.array());
        write(body);
        return this;
    }

    /** Publishes everything appended: data_head = head (release), as perf_output_put_handle does. */
    RingWriter publish() {
        LONGS.setRelease(region, RingBuffer.DATA_HEAD, head);
        return this;
    }

    /** Sets data_head to any value (for corruption tests). */
    void setHead(long value) {
        LONGS.setRelease(region, RingBuffer.DATA_HEAD, value);
    }

    long head() {
        return head;
    }

    long tail() {
        return (long) LONGS.getAcquire(region, RingBuffer.DATA_TAIL);
    }

    /** Free bytes left for the writer. */
    long free() {
        return dataSize - (head - tail());
    }

    private void write(byte[] bytes) {
        for (byte b : bytes) {
            region.put(dataOffset + (int) (head & (dataSize - 1)), b);
            head++;
        }
    }

    /** Builds record bodies field by field, little-endian. */
    static final class Body {
        private final ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        Body u64(long v) {
            b.putLong(v);
            return this;
        }

        Body u32(int v) {
            b.putInt(v);
            return this;
        }

        Body u16(int v) {
            b.putShort((short) v);
            return this;
        }

        Body u8(int v) {
            b.put((byte) v);
            return this;
        }

        Body bytes(byte[] v) {
            b.put(v);
            return this;
        }

        /** A NUL-terminated string padded with zeros to 8 bytes, as COMM and MMAP names are. */
        Body cstring(String s) {
            b.put(s.getBytes(StandardCharsets.UTF_8)).put((byte) 0);
            return pad8();
        }

        Body pad8() {
            while (b.position() % 8 != 0) {
                b.put((byte) 0);
            }
            return this;
        }

        /** The sample_id trailer of {@code sampleType} (TID, TIME, ID, STREAM_ID, CPU, IDENTIFIER in that order). */
        Body sampleId(long sampleType, int pid, int tid, long time, long id, long streamId, int cpu) {
            if ((sampleType & SampleType.TID) != 0) {
                u32(pid).u32(tid);
            }
            if ((sampleType & SampleType.TIME) != 0) {
                u64(time);
            }
            if ((sampleType & SampleType.ID) != 0) {
                u64(id);
            }
            if ((sampleType & SampleType.STREAM_ID) != 0) {
                u64(streamId);
            }
            if ((sampleType & SampleType.CPU) != 0) {
                u32(cpu).u32(0);
            }
            if ((sampleType & SampleType.IDENTIFIER) != 0) {
                u64(id);
            }
            return this;
        }

        byte[] toArray() {
            byte[] out = new byte[b.position()];
            b.duplicate().flip().get(out);
            return out;
        }
    }

    static Body body() {
        return new Body();
    }

    /** Sample type of a uprobe hit as the engine opens it. */
    static final long UPROBE_TYPE = SampleType.IDENTIFIER | SampleType.TID | SampleType.TIME | SampleType.CPU
            | SampleType.REGS_USER;

    /** Body of a {@link #UPROBE_TYPE} sample with the given user registers (abi 64). */
    static byte[] uprobeSample(long id, int pid, int tid, long time, int cpu, long... regs) {
        Body b = body().u64(id).u32(pid).u32(tid).u64(time).u32(cpu).u32(0).u64(SampleType.REGS_ABI_64);
        for (long r : regs) {
            b.u64(r);
        }
        return b.toArray();
    }
}
