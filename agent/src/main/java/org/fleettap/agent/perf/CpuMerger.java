package org.fleettap.agent.perf;

import java.util.List;

/**
 * Merges the per-CPU ring buffers of a session into one stream in timestamp order, in place: a k-way merge over
 * each buffer's next record (each buffer is already in time order), with no copy into a queue. The oldest pending
 * record is delivered when every buffer has a pending record (nothing older can still arrive), or when it is older
 * than {@code now - window} (a quiet CPU cannot hold the others back longer than the window). Records without a
 * timestamp are delivered as soon as they are reached. One reader thread only.
 */
public final class CpuMerger {
    private final RingBuffer[] buffers;
    private final long windowNanos;
    /** Min-heap of buffer indices ordered by (keys[index], index). */
    private final int[] heap;
    private final long[] keys;
    private int heapSize;

    /** A merger over {@code buffers} (typically one per CPU) holding records back at most {@code windowNanos}. */
    public CpuMerger(List<RingBuffer> buffers, long windowNanos) {
        if (buffers.isEmpty()) {
            throw new IllegalArgumentException("no ring buffers to merge");
        }
        if (windowNanos < 0) {
            throw new IllegalArgumentException("negative reorder window: " + windowNanos);
        }
        this.buffers = buffers.toArray(new RingBuffer[0]);
        this.windowNanos = windowNanos;
        this.heap = new int[this.buffers.length];
        this.keys = new long[this.buffers.length];
    }

    /** Number of ring buffers merged. */
    public int size() {
        return buffers.length;
    }

    /** The reorder window in nanoseconds. */
    public long windowNanos() {
        return windowNanos;
    }

    /**
     * Delivers, in time order, every record that is safe to deliver at {@code nowNanos} (CLOCK_MONOTONIC, the
     * records' clock), then writes back each buffer's tail. Returns the number of records delivered.
     */
    public int poll(long nowNanos, RecordConsumer consumer) {
        long limit = nowNanos - windowNanos;
        if (limit > nowNanos) {
            limit = Long.MIN_VALUE;
        }
        return merge(limit, false, consumer);
    }

    /** Delivers every record published so far, in time order, whatever its age (at shutdown). */
    public int flush(RecordConsumer consumer) {
        return merge(Long.MAX_VALUE, true, consumer);
    }

    private int merge(long limit, boolean force, RecordConsumer consumer) {
        RingBuffer[] bs = buffers;
        int n = bs.length;
        int delivered = 0;
        heapSize = 0;
        try {
            for (int i = 0; i < n; i++) {
                RingBuffer b = bs[i];
                b.refresh();
                delivered += deliverUntimed(b, consumer);
                if (b.peek()) {
                    keys[i] = b.current().time();
                    push(i);
                }
            }
            while (heapSize > 0) {
                int i = heap[0];
                if (!force && heapSize < n && keys[i] >= limit) {
                    break;
                }
                RingBuffer b = bs[i];
                consumer.accept(b.take());
                delivered++;
                delivered += deliverUntimed(b, consumer);
                if (b.peek()) {
                    keys[i] = b.current().time();
                    siftDown(0);
                } else {
                    heap[0] = heap[--heapSize];
                    siftDown(0);
                }
            }
        } finally {
            for (RingBuffer b : bs) {
                b.commit();
            }
        }
        return delivered;
    }

    private static int deliverUntimed(RingBuffer b, RecordConsumer consumer) {
        int n = 0;
        while (b.peek() && !b.current().hasTime()) {
            consumer.accept(b.take());
            n++;
        }
        return n;
    }

    private boolean less(int a, int b) {
        long ka = keys[a];
        long kb = keys[b];
        return ka < kb || (ka == kb && a < b);
    }

    private void push(int index) {
        int at = heapSize++;
        while (at > 0) {
            int parent = (at - 1) >>> 1;
            if (!less(index, heap[parent])) {
                break;
            }
            heap[at] = heap[parent];
            at = parent;
        }
        heap[at] = index;
    }

    private void siftDown(int at) {
        if (heapSize == 0) {
            return;
        }
        int index = heap[at];
        while (true) {
            int child = 2 * at + 1;
            if (child >= heapSize) {
                break;
            }
            if (child + 1 < heapSize && less(heap[child + 1], heap[child])) {
                child++;
            }
            if (!less(heap[child], index)) {
                break;
            }
            heap[at] = heap[child];
            at = child;
        }
        heap[at] = index;
    }
}
