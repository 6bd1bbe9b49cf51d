package org.fleettap.agent.perf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A decoded view of one perf record, read in place from a ring buffer: a flyweight that is re-pointed at each record
 * and never allocates except for the strings of COMM and MMAP records. Valid only during the
 * {@link RecordConsumer#accept} call that received it. Accessors for fields a record type does not have return 0
 * (or -1 where documented).
 */
public final class PerfRecord {
    /** Value of {@link #time()}, {@link #cpu()}, {@link #pid()}, {@link #tid()}, {@link #id()} when absent. */
    public static final int ABSENT = -1;

    static final int OK = 0;
    /** Decoded, but its sample_id names no registered id: delivered without sample_id fields. */
    static final int OK_UNKNOWN_ID = 1;
    static final int SKIP_UNKNOWN_TYPE = 2;
    static final int SKIP_UNKNOWN_ID = 3;
    static final int SKIP_MALFORMED = 4;

    private ByteBuffer buf;
    private int off;
    private int size;
    private int type;
    private int misc;

    private SampleFormat format;
    private int cookie;
    private long id;
    private long time;
    private int cpu;
    private int bufferCpu = ABSENT;
    private int pid;
    private int tid;

    private long ip;
    private long addr;
    private long period;
    private long streamId;
    private long weight;
    private long dataSrc;
    private long transaction;
    private long physAddr;
    private long cgroup;
    private long dataPageSize;
    private long codePageSize;
    private int callchainLength;
    private int callchainOffset;
    private int rawOffset;
    private int rawSize;
    private int regsAbi;
    private int regsOffset;
    private int regCount;
    private int stackOffset;
    private long stackSize;
    private long stackDynSize;

    private boolean hasSampleId;
    private int sidPid;
    private int sidTid;
    private long sidTime;
    private long sidId;
    private long sidStreamId;
    private int sidCpu;

    private long eventId;
    private long lostCount;
    private int ppid;
    private int ptid;
    private long len;
    private long pgoff;
    private int maj;
    private int min;
    private long ino;
    private long inoGeneration;
    private int prot;
    private int flags;
    private int stringOffset;
    private int bodyEnd;
    /** Whether fields only non-SAMPLE records set may hold a stale value. */
    private boolean otherDirty;

    /**
     * Points this view at the record at {@code offset} of {@code buffer} (little-endian, {@code size} bytes, size
     * already checked to be a multiple of 8 and at least 8) and decodes it. Returns OK, OK_UNKNOWN_ID or a SKIP code.
     */
    int decode(ByteBuffer buffer, int offset, int recordSize, IdRegistry registry) {
        buf = buffer;
        off = offset;
        size = recordSize;
        int header = buffer.getInt(offset);
        type = header;
        misc = buffer.getShort(offset + 4) & 0xFFFF;
        format = null;
        cookie = IdRegistry.NO_COOKIE;
        id = ABSENT;
        time = ABSENT;
        cpu = ABSENT;
        pid = ABSENT;
        tid = ABSENT;
        hasSampleId = false;
        resetSampleFields();
        if (type == RecordType.SAMPLE) {
            if (otherDirty) {
                resetOtherFields();
            }
            return decodeSample(registry);
        }
        resetOtherFields();
        otherDirty = true;
        return decodeOther(registry);
    }

    private void resetSampleFields() {
        ip = 0;
        addr = 0;
        period = 0;
        streamId = 0;
        weight = 0;
        dataSrc = 0;
        transaction = 0;
        physAddr = 0;
        cgroup = 0;
        dataPageSize = 0;
        codePageSize = 0;
        callchainLength = 0;
        rawSize = 0;
        rawOffset = 0;
        regsAbi = SampleType.REGS_ABI_NONE;
        regCount = 0;
        stackSize = 0;
        stackDynSize = 0;
        stackOffset = 0;
    }

    private void resetOtherFields() {
        eventId = 0;
        lostCount = 0;
        ppid = 0;
        ptid = 0;
        len = 0;
        pgoff = 0;
        maj = 0;
        min = 0;
        ino = 0;
        inoGeneration = 0;
        prot = 0;
        flags = 0;
        stringOffset = 0;
        bodyEnd = 0;
        otherDirty = false;
    }

    private int decodeSample(IdRegistry registry) {
        ByteBuffer b = buf;
        int end = off + size;
        if (size < 16) {
            return SKIP_MALFORMED;
        }
        int p = off + 8;
        long sampleId = b.getLong(p);
        id = sampleId;
        int slot = registry.slot(sampleId);
        if (slot < 0) {
            return SKIP_UNKNOWN_ID;
        }
        SampleFormat f = registry.formatAt(slot);
        format = f;
        cookie = registry.cookieAt(slot);
        if (off + f.prefixSize() > end) {
            return SKIP_MALFORMED;
        }
        long t = f.sampleType();
        p += 8;
        if ((t & SampleType.IP) != 0) {
            ip = b.getLong(p);
            p += 8;
        }
        if ((t & SampleType.TID) != 0) {
            pid = b.getInt(p);
            tid = b.getInt(p + 4);
            p += 8;
        }
        if ((t & SampleType.TIME) != 0) {
            time = b.getLong(p);
            p += 8;
        }
        if ((t & SampleType.ADDR) != 0) {
            addr = b.getLong(p);
            p += 8;
        }
        if ((t & SampleType.ID) != 0) {
            p += 8;
        }
        if ((t & SampleType.STREAM_ID) != 0) {
            streamId = b.getLong(p);
            p += 8;
        }
        if ((t & SampleType.CPU) != 0) {
            cpu = b.getInt(p);
            p += 8;
        }
        if ((t & SampleType.PERIOD) != 0) {
            period = b.getLong(p);
            p += 8;
        }
        if ((t & SampleType.CALLCHAIN) != 0) {
            if (p + 8 > end) {
                return SKIP_MALFORMED;
            }
            long nr = b.getLong(p);
            p += 8;
            if (nr < 0 || nr > (end - p) / 8) {
                return SKIP_MALFORMED;
            }
            callchainLength = (int) nr;
            callchainOffset = p;
            p += 8 * callchainLength;
        }
        if ((t & SampleType.RAW) != 0) {
            if (p + 4 > end) {
                return SKIP_MALFORMED;
            }
            long n = b.getInt(p) & 0xFFFFFFFFL;
            p += 4;
            if (n > end - p) {
                return SKIP_MALFORMED;
            }
            rawOffset = p;
            rawSize = (int) n;
            p += rawSize;
        }
        if ((t & SampleType.REGS_USER) != 0) {
            if (p + 8 > end) {
                return SKIP_MALFORMED;
            }
            long abi = b.getLong(p);
            p += 8;
            if (abi != SampleType.REGS_ABI_NONE) {
                int n = f.userRegCount();
                if (p + 8 * n > end) {
                    return SKIP_MALFORMED;
                }
                regsAbi = (int) abi;
                regsOffset = p;
                regCount = n;
                p += 8 * n;
            }
        }
        if ((t & SampleType.STACK_USER) != 0) {
            if (p + 8 > end) {
                return SKIP_MALFORMED;
            }
            long n = b.getLong(p);
            p += 8;
            if (n < 0 || n > end - p) {
                return SKIP_MALFORMED;
            }
            stackOffset = p;
            stackSize = n;
            p += (int) n;
            if (n != 0) {
                if (p + 8 > end) {
                    return SKIP_MALFORMED;
                }
                stackDynSize = b.getLong(p);
                p += 8;
                if (stackDynSize < 0 || stackDynSize > n) {
                    // The kernel never reports more valid bytes than it copied.
                    return SKIP_MALFORMED;
                }
            }
        }
        if ((t & SUFFIX) != 0) {
            return decodeSuffix(t, p, end);
        }
        return OK;
    }

    private static final long SUFFIX = SampleType.WEIGHT | SampleType.WEIGHT_STRUCT | SampleType.DATA_SRC
            | SampleType.TRANSACTION | SampleType.PHYS_ADDR | SampleType.CGROUP | SampleType.DATA_PAGE_SIZE
            | SampleType.CODE_PAGE_SIZE;

    private int decodeSuffix(long t, int start, int end) {
        ByteBuffer b = buf;
        int p = start;
        if (p + format.suffixSize() > end) {
            return SKIP_MALFORMED;
        }
        if ((t & (SampleType.WEIGHT | SampleType.WEIGHT_STRUCT)) != 0) {
            weight = b.getLong(p);
            p += 8;
        }
        if ((t & SampleType.DATA_SRC) != 0) {
            dataSrc = b.getLong(p);
            p += 8;
        }
        if ((t & SampleType.TRANSACTION) != 0) {
            transaction = b.getLong(p);
            p += 8;
        }
        if ((t & SampleType.PHYS_ADDR) != 0) {
            physAddr = b.getLong(p);
            p += 8;
        }
        if ((t & SampleType.CGROUP) != 0) {
            cgroup = b.getLong(p);
            p += 8;
        }
        if ((t & SampleType.DATA_PAGE_SIZE) != 0) {
            dataPageSize = b.getLong(p);
            p += 8;
        }
        if ((t & SampleType.CODE_PAGE_SIZE) != 0) {
            codePageSize = b.getLong(p);
        }
        return OK;
    }

    private int decodeOther(IdRegistry registry) {
        int status = decodeSampleId(registry);
        int minBody;
        switch (type) {
            case RecordType.LOST:
            case RecordType.LOST_SAMPLES:
            case RecordType.THROTTLE:
            case RecordType.UNTHROTTLE:
            case RecordType.COMM:
            case RecordType.EXIT:
            case RecordType.FORK:
            case RecordType.MMAP:
            case RecordType.MMAP2:
                minBody = minBodySize(type);
                break;
            default:
                return SKIP_UNKNOWN_TYPE;
        }
        ByteBuffer b = buf;
        int p = off + 8;
        if (p + minBody > bodyEnd) {
            return SKIP_MALFORMED;
        }
        switch (type) {
            case RecordType.LOST:
                eventId = b.getLong(p);
                lostCount = b.getLong(p + 8);
                adoptBodyId(registry);
                break;
            case RecordType.LOST_SAMPLES:
                lostCount = b.getLong(p);
                break;
            case RecordType.THROTTLE:
            case RecordType.UNTHROTTLE:
                if (time == ABSENT) {
                    time = b.getLong(p);
                }
                eventId = b.getLong(p + 8);
                streamId = b.getLong(p + 16);
                adoptBodyId(registry);
                break;
            case RecordType.COMM:
                pid = b.getInt(p);
                tid = b.getInt(p + 4);
                stringOffset = p + 8;
                break;
            case RecordType.EXIT:
            case RecordType.FORK:
                pid = b.getInt(p);
                ppid = b.getInt(p + 4);
                tid = b.getInt(p + 8);
                ptid = b.getInt(p + 12);
                if (time == ABSENT) {
                    time = b.getLong(p + 16);
                }
                break;
            case RecordType.MMAP:
            case RecordType.MMAP2:
                pid = b.getInt(p);
                tid = b.getInt(p + 4);
                addr = b.getLong(p + 8);
                len = b.getLong(p + 16);
                pgoff = b.getLong(p + 24);
                if (type == RecordType.MMAP) {
                    stringOffset = p + 32;
                } else {
                    maj = b.getInt(p + 32);
                    min = b.getInt(p + 36);
                    ino = b.getLong(p + 40);
                    inoGeneration = b.getLong(p + 48);
                    prot = b.getInt(p + 56);
                    flags = b.getInt(p + 60);
                    stringOffset = p + 64;
                }
                break;
            default:
                throw new AssertionError(type);
        }
        return status;
    }

    private static int minBodySize(int type) {
        switch (type) {
            case RecordType.LOST:
                return 16;
            case RecordType.LOST_SAMPLES:
                return 8;
            case RecordType.THROTTLE:
            case RecordType.UNTHROTTLE:
            case RecordType.EXIT:
            case RecordType.FORK:
                return 24;
            case RecordType.COMM:
                return 8;
            case RecordType.MMAP:
                return 32;
            case RecordType.MMAP2:
                return 64;
            default:
                return 0;
        }
    }

    /** Without a sample_id trailer, a LOST or THROTTLE record still names its event in its body. */
    private void adoptBodyId(IdRegistry registry) {
        if (id == ABSENT) {
            id = eventId;
            int slot = registry.slot(eventId);
            if (slot >= 0) {
                format = registry.formatAt(slot);
                cookie = registry.cookieAt(slot);
            }
        }
    }

    /**
     * Finds and parses the sample_id trailer of a non-SAMPLE record: its last u64 is the PERF_SAMPLE_IDENTIFIER id,
     * whose format gives the trailer's size. Sets {@link #bodyEnd}.
     */
    private int decodeSampleId(IdRegistry registry) {
        int end = off + size;
        bodyEnd = end;
        if (registry.noneSampleIdAll() || size < 16) {
            return OK;
        }
        long candidate = buf.getLong(end - 8);
        int slot = registry.slot(candidate);
        SampleFormat f = slot < 0 ? null : registry.formatAt(slot);
        if (f == null || !f.sampleIdAll() || f.sampleIdSize() > size - 8) {
            // With every format carrying sample_id_all the trailer must be there, so the id is unknown; with a
            // mixed registry the record may simply have no trailer.
            return registry.allSampleIdAll() && registry.size() > 0 ? OK_UNKNOWN_ID : OK;
        }
        format = f;
        cookie = registry.cookieAt(slot);
        long t = f.sampleType();
        int p = end - f.sampleIdSize();
        bodyEnd = p;
        hasSampleId = true;
        sidPid = ABSENT;
        sidTid = ABSENT;
        sidTime = ABSENT;
        sidId = candidate;
        sidStreamId = 0;
        sidCpu = ABSENT;
        ByteBuffer b = buf;
        if ((t & SampleType.TID) != 0) {
            sidPid = b.getInt(p);
            sidTid = b.getInt(p + 4);
            p += 8;
        }
        if ((t & SampleType.TIME) != 0) {
            sidTime = b.getLong(p);
            p += 8;
        }
        if ((t & SampleType.ID) != 0) {
            p += 8;
        }
        if ((t & SampleType.STREAM_ID) != 0) {
            sidStreamId = b.getLong(p);
            p += 8;
        }
        if ((t & SampleType.CPU) != 0) {
            sidCpu = b.getInt(p);
        }
        id = candidate;
        time = sidTime;
        cpu = sidCpu;
        pid = sidPid;
        tid = sidTid;
        return OK;
    }

    // ---- every record ----

    /** PERF_RECORD_* type ({@link RecordType}). */
    public int type() {
        return type;
    }

    /** The header's misc bits ({@code RecordType.MISC_*}). */
    public int misc() {
        return misc;
    }

    /** CPU mode from misc: {@link RecordType#MISC_USER}, {@link RecordType#MISC_KERNEL}, ... */
    public int cpuMode() {
        return misc & RecordType.MISC_CPUMODE_MASK;
    }

    /** Size of the whole record in bytes, header included. */
    public int size() {
        return size;
    }

    /** The buffer holding the record (the ring's data area, or a scratch copy of a record that wrapped). */
    public ByteBuffer buffer() {
        return buf;
    }

    /** Offset of the record's header within {@link #buffer()}. */
    public int offset() {
        return off;
    }

    /** Format of the event that wrote the record, or null if its id is not registered (or unknown). */
    public SampleFormat format() {
        return format;
    }

    /** The caller's cookie for the record's id, or {@link IdRegistry#NO_COOKIE}. */
    public int cookie() {
        return cookie;
    }

    /** PERF_SAMPLE_IDENTIFIER of a sample, the sample_id's id of another record, or {@link #ABSENT}. */
    public long id() {
        return id;
    }

    /** Whether the record carries a timestamp. */
    public boolean hasTime() {
        return time != ABSENT;
    }

    /**
     * Timestamp (perf clock; CLOCK_MONOTONIC ns when the event uses it): a sample's TIME, else the sample_id's time,
     * else the body's time of FORK/EXIT/THROTTLE/UNTHROTTLE; {@link #ABSENT} if none.
     */
    public long time() {
        return time;
    }

    /** CPU of a sample (PERF_SAMPLE_CPU) or of the sample_id, or {@link #ABSENT}. */
    public int cpu() {
        return cpu != ABSENT ? cpu : bufferCpu;
    }

    /** The CPU of the per-CPU ring buffer this view reads, for records that do not carry PERF_SAMPLE_CPU. */
    void bufferCpu(int cpu) {
        this.bufferCpu = cpu;
    }

    /** Process id: a sample's TID pid; the body's pid for COMM, FORK, EXIT, MMAP, MMAP2; else the sample_id's. */
    public int pid() {
        return pid;
    }

    /** Thread id, chosen like {@link #pid()}. */
    public int tid() {
        return tid;
    }

    /**
     * Whether this is a task's record (a sample, COMM, FORK, EXIT, MMAP or MMAP2) whose task the PID namespace of the
     * event's opener cannot see: the kernel reports such a task as pid and tid 0. In the initial namespace that is
     * only the idle task; in a child namespace, any process of another namespace.
     */
    public boolean isOfInvisibleTask() {
        return pid == 0 && tid == 0 && switch (type) {
            case RecordType.SAMPLE, RecordType.COMM, RecordType.FORK, RecordType.EXIT, RecordType.MMAP,
                    RecordType.MMAP2 -> true;
            default -> false;
        };
    }

    // ---- SAMPLE ----

    public long ip() {
        return ip;
    }

    /** A sample's ADDR, or the start address of an MMAP/MMAP2. */
    public long addr() {
        return addr;
    }

    public long period() {
        return period;
    }

    /** A sample's STREAM_ID, or the stream_id of a THROTTLE/UNTHROTTLE. */
    public long streamId() {
        return streamId;
    }

    public long weight() {
        return weight;
    }

    public long dataSrc() {
        return dataSrc;
    }

    public long transaction() {
        return transaction;
    }

    public long physAddr() {
        return physAddr;
    }

    public long cgroup() {
        return cgroup;
    }

    public long dataPageSize() {
        return dataPageSize;
    }

    public long codePageSize() {
        return codePageSize;
    }

    /** Number of entries in the sample's callchain (including PERF_CONTEXT_* markers). */
    public int callchainLength() {
        return callchainLength;
    }

    /** Entry {@code i} of the callchain. */
    public long callchain(int i) {
        if (i < 0 || i >= callchainLength) {
            throw new IndexOutOfBoundsException("callchain index " + i + " of " + callchainLength);
        }
        return buf.getLong(callchainOffset + 8 * i);
    }

    /** Offset of the RAW data (e.g. tracepoint fields) within {@link #buffer()}. */
    public int rawOffset() {
        return rawOffset;
    }

    /** Size of the RAW data in bytes, as the kernel wrote it (it includes the padding to 8 bytes). */
    public int rawSize() {
        return rawSize;
    }

    /** PERF_SAMPLE_REGS_ABI_* of the user registers; NONE when the sample hit no user context. */
    public int userRegsAbi() {
        return regsAbi;
    }

    /** Number of user registers present (0 when the abi is NONE). */
    public int userRegCount() {
        return regCount;
    }

    /** User register by perf register number (e.g. {@link X86Reg#DI}); it must be in sample_regs_user. */
    public long userReg(int perfReg) {
        int i = format == null ? -1 : format.userRegIndex(perfReg);
        if (i < 0) {
            throw new IllegalArgumentException("register " + perfReg + " is not in sample_regs_user");
        }
        return userRegAt(i);
    }

    /** User register by its index among the sampled ones (see {@link SampleFormat#userRegIndex(int)}). */
    public long userRegAt(int index) {
        if (index < 0 || index >= regCount) {
            throw new IllegalStateException("no user register at index " + index + " (" + regCount + " present)");
        }
        return buf.getLong(regsOffset + 8 * index);
    }

    /** Bytes of user stack copied (STACK_USER); 0 if none. */
    public long userStackSize() {
        return stackSize;
    }

    /** Offset of the user stack copy within {@link #buffer()}. */
    public int userStackOffset() {
        return stackOffset;
    }

    /** Bytes of the user stack copy that are valid (dyn_size). */
    public long userStackDynSize() {
        return stackDynSize;
    }

    // ---- sample_id trailer of non-SAMPLE records ----

    /** Whether a non-SAMPLE record carried a sample_id trailer that was decoded. */
    public boolean hasSampleId() {
        return hasSampleId;
    }

    public int sampleIdPid() {
        return hasSampleId ? sidPid : ABSENT;
    }

    public int sampleIdTid() {
        return hasSampleId ? sidTid : ABSENT;
    }

    public long sampleIdTime() {
        return hasSampleId ? sidTime : ABSENT;
    }

    public long sampleIdId() {
        return hasSampleId ? sidId : ABSENT;
    }

    public long sampleIdStreamId() {
        return hasSampleId ? sidStreamId : 0;
    }

    public int sampleIdCpu() {
        return hasSampleId ? sidCpu : ABSENT;
    }

    // ---- LOST, LOST_SAMPLES, THROTTLE, UNTHROTTLE ----

    /** Id in the body of a LOST or THROTTLE/UNTHROTTLE record: the event concerned. */
    public long eventId() {
        return eventId;
    }

    /** Events lost (LOST) or samples lost (LOST_SAMPLES). */
    public long lostCount() {
        return lostCount;
    }

    // ---- FORK, EXIT ----

    public int ppid() {
        return ppid;
    }

    public int ptid() {
        return ptid;
    }

    // ---- COMM ----

    /** The new command name of a COMM record (allocates). */
    public String comm() {
        return type == RecordType.COMM ? string() : null;
    }

    /** Whether a COMM record comes from an exec. */
    public boolean isExec() {
        return type == RecordType.COMM && (misc & RecordType.MISC_COMM_EXEC) != 0;
    }

    // ---- MMAP, MMAP2 ----

    public long len() {
        return len;
    }

    public long pgoff() {
        return pgoff;
    }

    public int maj() {
        return hasBuildId() ? 0 : maj;
    }

    public int min() {
        return hasBuildId() ? 0 : min;
    }

    public long ino() {
        return hasBuildId() ? 0 : ino;
    }

    public long inoGeneration() {
        return hasBuildId() ? 0 : inoGeneration;
    }

    public int prot() {
        return prot;
    }

    public int flags() {
        return flags;
    }

    /** Whether an MMAP2 carries a build id in place of maj/min/ino/ino_generation. */
    public boolean hasBuildId() {
        return type == RecordType.MMAP2 && (misc & RecordType.MISC_MMAP_BUILD_ID) != 0;
    }

    /** The build id of an MMAP2 that has one (allocates), else null. */
    public byte[] buildId() {
        if (!hasBuildId()) {
            return null;
        }
        int n = Math.min(buf.get(off + 8 + 32) & 0xFF, 20);
        byte[] id = new byte[n];
        buf.get(off + 8 + 36, id);
        return id;
    }

    /** File name of an MMAP/MMAP2 (allocates), else null. */
    public String filename() {
        return type == RecordType.MMAP || type == RecordType.MMAP2 ? string() : null;
    }

    private String string() {
        int end = stringOffset;
        while (end < bodyEnd && buf.get(end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end - stringOffset];
        buf.get(stringOffset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(RecordType.name(type)).append("[size=").append(size);
        s.append(", misc=0x").append(Integer.toHexString(misc));
        if (id != ABSENT) {
            s.append(", id=").append(id);
        }
        if (time != ABSENT) {
            s.append(", time=").append(time);
        }
        if (cpu != ABSENT) {
            s.append(", cpu=").append(cpu);
        }
        if (pid != ABSENT) {
            s.append(", pid=").append(pid).append(", tid=").append(tid);
        }
        switch (type) {
            case RecordType.SAMPLE -> s.append(", ip=0x").append(Long.toHexString(ip));
            case RecordType.LOST -> s.append(", lost=").append(lostCount);
            case RecordType.LOST_SAMPLES -> s.append(", lost=").append(lostCount);
            case RecordType.COMM -> s.append(", comm=").append(comm()).append(isExec() ? ", exec" : "");
            case RecordType.MMAP, RecordType.MMAP2 -> s.append(", addr=0x").append(Long.toHexString(addr))
                    .append(", file=").append(filename());
            default -> { }
        }
        return s.append(']').toString();
    }
}
