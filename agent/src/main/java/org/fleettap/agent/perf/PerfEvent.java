package org.fleettap.agent.perf;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import org.fleettap.agent.internal.sys.Errno;
import org.fleettap.agent.internal.sys.NativeException;
import org.fleettap.agent.internal.sys.Syscalls;

/**
 * One open perf event: a file descriptor the kernel counts or samples into. Closing it detaches the probe.
 */
public final class PerfEvent implements AutoCloseable {
    private static final long PERF_FLAG_FD_CLOEXEC = 8;

    private static final long IOC_ENABLE = 0x2400;
    private static final long IOC_DISABLE = 0x2401;
    private static final long IOC_RESET = 0x2403;
    private static final long IOC_SET_OUTPUT = 0x2405;
    private static final long IOC_ID = 0x80082407L;
    /** _IOW('$', 6, char *). */
    private static final long IOC_SET_FILTER = 0x40082406L;

    private final int fd;
    private final int cpu;
    private final int pid;
    private final long id;
    private final PerfEventAttr attr;
    private final Memory scratch = new Memory(8);
    private boolean closed;

    private PerfEvent(int fd, int pid, int cpu, long id, PerfEventAttr attr) {
        this.fd = fd;
        this.pid = pid;
        this.cpu = cpu;
        this.id = id;
        this.attr = attr;
    }

    /**
     * Opens an event on {@code pid} (-1: every process) and {@code cpu} (-1: any CPU). {@code keepAlive} is native
     * memory the attr points into (e.g. a uprobe's path) that must stay valid during the call; may be null.
     */
    public static PerfEvent open(PerfEventAttr attr, int pid, int cpu, Pointer keepAlive) throws NativeException {
        Memory mem = attr.toNative();
        int fd = Syscalls.perfEventOpen(mem, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
        if (keepAlive != null) {
            // Reachability fence for the path buffer referenced by config1.
            keepAlive.getByte(0);
        }
        try {
            Memory idBuf = new Memory(8);
            Syscalls.ioctl(fd, IOC_ID, Pointer.nativeValue(idBuf));
            return new PerfEvent(fd, pid, cpu, idBuf.getLong(0), attr);
        } catch (NativeException e) {
            closeQuietly(fd);
            throw e;
        }
    }

    public int fd() {
        return fd;
    }

    public int cpu() {
        return cpu;
    }

    public int pid() {
        return pid;
    }

    /** The kernel's id for this event, found in every record it writes (PERF_SAMPLE_IDENTIFIER). */
    public long id() {
        return id;
    }

    public PerfEventAttr attr() {
        return attr;
    }

    public void enable() throws NativeException {
        Syscalls.ioctl(fd, IOC_ENABLE, 0);
    }

    public void disable() throws NativeException {
        Syscalls.ioctl(fd, IOC_DISABLE, 0);
    }

    public void reset() throws NativeException {
        Syscalls.ioctl(fd, IOC_RESET, 0);
    }

    /** Sends this event's records into {@code target}'s ring buffer (same CPU). */
    public void setOutput(PerfEvent target) throws NativeException {
        Syscalls.ioctl(fd, IOC_SET_OUTPUT, target.fd);
    }

    /**
     * Sets a tracepoint event's filter (ftrace's syntax, e.g. {@code comm == "futex"}): the kernel then makes records
     * only of the hits that match. Fails (EINVAL) for a filter the kernel cannot parse or an event that takes none.
     */
    public void setFilter(String filter) throws NativeException {
        byte[] bytes = filter.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Memory m = new Memory(bytes.length + 1L);
        m.write(0, bytes, 0, bytes.length);
        m.setByte(bytes.length, (byte) 0);
        Syscalls.ioctl(fd, IOC_SET_FILTER, Pointer.nativeValue(m));
    }

    /** Reads the counter: hits so far, including inherited children that have exited. */
    public long readCount() throws NativeException {
        synchronized (scratch) {
            long n = Syscalls.read(fd, scratch, 8);
            if (n != 8) {
                throw new NativeException("read perf counter (" + n + " bytes)", Errno.EIO);
            }
            return scratch.getLong(0);
        }
    }

    @Override
    public void close() {
        synchronized (scratch) {
            if (closed) {
                return;
            }
            closed = true;
        }
        closeQuietly(fd);
    }

    private static void closeQuietly(int fd) {
        try {
            Syscalls.close(fd);
        } catch (NativeException e) {
            // Nothing else can be done with an fd that failed to close; the kernel drops it at exit.
        }
    }

    @Override
    public String toString() {
        return "perf event fd " + fd + " (pid " + pid + ", cpu " + cpu + ", id " + id + ")";
    }
}
