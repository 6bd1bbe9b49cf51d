package org.fleettap.agent.perf;

import java.util.Objects;

/**
 * Maps a perf event id (PERF_SAMPLE_IDENTIFIER) to its {@link SampleFormat} and a caller-chosen cookie, and counts
 * lost events per id. A primitive open-addressing table (linear probing, backward-shift deletion): lookups neither
 * allocate nor box. Not thread-safe: filled and read by the thread that reads the ring buffers.
 */
public final class IdRegistry {
    /** Cookie returned for an id that is not registered. */
    public static final int NO_COOKIE = -1;

    private static final int MIN_CAPACITY = 16;

    private long[] keys;
    private boolean[] used;
    private SampleFormat[] formats;
    private int[] cookies;
    private long[] lost;
    private long[] lostSamples;
    private int size;
    private int mask;
    private int withSampleIdAll;

    public IdRegistry() {
        allocate(MIN_CAPACITY);
    }

    /** Registers (or replaces) the format and cookie of {@code id}; its lost counters restart at zero on first add. */
    public void register(long id, SampleFormat format, int cookie) {
        Objects.requireNonNull(format, "format");
        int slot = slot(id);
        if (slot >= 0) {
            withSampleIdAll += (format.sampleIdAll() ? 1 : 0) - (formats[slot].sampleIdAll() ? 1 : 0);
            formats[slot] = format;
            cookies[slot] = cookie;
            return;
        }
        if ((size + 1) * 2 > keys.length) {
            rehash(keys.length * 2);
        }
        insert(id, format, cookie, 0, 0);
        size++;
        withSampleIdAll += format.sampleIdAll() ? 1 : 0;
    }

    /** Removes {@code id}; returns whether it was registered. Its lost counters are dropped with it. */
    public boolean remove(long id) {
        int slot = slot(id);
        if (slot < 0) {
            return false;
        }
        withSampleIdAll -= formats[slot].sampleIdAll() ? 1 : 0;
        size--;
        // Backward-shift deletion: pull later members of the probe run into the hole so lookups stay correct.
        int hole = slot;
        int i = slot;
        while (true) {
            i = (i + 1) & mask;
            if (!used[i]) {
                break;
            }
            int home = home(keys[i]);
            boolean movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (movable) {
                copySlot(i, hole);
                hole = i;
            }
        }
        used[hole] = false;
        formats[hole] = null;
        return true;
    }

    /** Number of registered ids. */
    public int size() {
        return size;
    }

    /** The slot holding {@code id}, or -1; valid until the next register/remove. */
    int slot(long id) {
        int i = home(id);
        while (used[i]) {
            if (keys[i] == id) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    SampleFormat formatAt(int slot) {
        return formats[slot];
    }

    int cookieAt(int slot) {
        return cookies[slot];
    }

    void addLost(int slot, long n) {
        lost[slot] += n;
    }

    void addLostSamples(int slot, long n) {
        lostSamples[slot] += n;
    }

    /** The format registered for {@code id}, or null. */
    public SampleFormat format(long id) {
        int s = slot(id);
        return s < 0 ? null : formats[s];
    }

    /** The cookie registered for {@code id}, or {@link #NO_COOKIE}. */
    public int cookie(long id) {
        int s = slot(id);
        return s < 0 ? NO_COOKIE : cookies[s];
    }

    /** Events lost for {@code id} as reported by PERF_RECORD_LOST records naming it (0 if unknown). */
    public long lost(long id) {
        int s = slot(id);
        return s < 0 ? 0 : lost[s];
    }

    /** Samples lost for {@code id} as reported by PERF_RECORD_LOST_SAMPLES records (0 if unknown). */
    public long lostSamples(long id) {
        int s = slot(id);
        return s < 0 ? 0 : lostSamples[s];
    }

    /** Whether every registered format has sample_id_all (true when empty). */
    boolean allSampleIdAll() {
        return withSampleIdAll == size;
    }

    /** Whether no registered format has sample_id_all. */
    boolean noneSampleIdAll() {
        return withSampleIdAll == 0;
    }

    private int home(long id) {
        long h = id * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private void insert(long id, SampleFormat format, int cookie, long lostCount, long lostSampleCount) {
        int i = home(id);
        while (used[i]) {
            i = (i + 1) & mask;
        }
        used[i] = true;
        keys[i] = id;
        formats[i] = format;
        cookies[i] = cookie;
        lost[i] = lostCount;
        lostSamples[i] = lostSampleCount;
    }

    private void copySlot(int from, int to) {
        used[to] = true;
        keys[to] = keys[from];
        formats[to] = formats[from];
        cookies[to] = cookies[from];
        lost[to] = lost[from];
        lostSamples[to] = lostSamples[from];
    }

    private void rehash(int capacity) {
        long[] oldKeys = keys;
        boolean[] oldUsed = used;
        SampleFormat[] oldFormats = formats;
        int[] oldCookies = cookies;
        long[] oldLost = lost;
        long[] oldLostSamples = lostSamples;
        allocate(capacity);
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldUsed[i]) {
                insert(oldKeys[i], oldFormats[i], oldCookies[i], oldLost[i], oldLostSamples[i]);
            }
        }
    }

    private void allocate(int capacity) {
        keys = new long[capacity];
        used = new boolean[capacity];
        formats = new SampleFormat[capacity];
        cookies = new int[capacity];
        lost = new long[capacity];
        lostSamples = new long[capacity];
        mask = capacity - 1;
    }
}
