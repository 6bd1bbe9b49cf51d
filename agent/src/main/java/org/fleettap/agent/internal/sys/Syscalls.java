package org.fleettap.agent.internal.sys;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * Typed wrappers over the raw system calls. Every failure becomes a {@link NativeException} naming the call;
 * nothing else in fleettap talks to libc.
 */
public final class Syscalls {
    private static final long SYS_PERF_EVENT_OPEN = 298; // x86-64

    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x01;
    public static final short POLLIN = 0x1;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;

    private Syscalls() {
    }

    /** perf_event_open(2) with an attr already laid out in native memory. Returns the new fd. */
    public static int perfEventOpen(Pointer attr, int pid, int cpu, int groupFd, long flags) throws NativeException {
        try {
            return (int) LibC.INSTANCE.syscall(SYS_PERF_EVENT_OPEN, attr, pid, cpu, groupFd, flags);
        } catch (LastErrorException e) {
            throw new NativeException("perf_event_open", e.getErrorCode());
        }
    }

    public static int ioctl(int fd, long request, long arg) throws NativeException {
        try {
            return LibC.INSTANCE.ioctl(fd, request, arg);
        } catch (LastErrorException e) {
            throw new NativeException("ioctl", e.getErrorCode());
        }
    }

    public static Pointer mmap(long length, int prot, int flags, int fd, long offset) throws NativeException {
        try {
            Pointer p = LibC.INSTANCE.mmap(null, length, prot, flags, fd, offset);
            if (Pointer.nativeValue(p) == -1L) {
                throw new NativeException("mmap", Errno.EINVAL);
            }
            return p;
        } catch (LastErrorException e) {
            throw new NativeException("mmap", e.getErrorCode());
        }
    }

    public static void munmap(Pointer addr, long length) throws NativeException {
        try {
            LibC.INSTANCE.munmap(addr, length);
        } catch (LastErrorException e) {
            throw new NativeException("munmap", e.getErrorCode());
        }
    }

    public static void close(int fd) throws NativeException {
        try {
            LibC.INSTANCE.close(fd);
        } catch (LastErrorException e) {
            throw new NativeException("close", e.getErrorCode());
        }
    }

    /** read(2) into native memory; returns the byte count. */
    public static long read(int fd, Pointer buf, long count) throws NativeException {
        try {
            return LibC.INSTANCE.read(fd, buf, count);
        } catch (LastErrorException e) {
            throw new NativeException("read", e.getErrorCode());
        }
    }

    /**
     * poll(2) for POLLIN on the given fds. Returns how many are ready (0 on timeout or EINTR); {@code revents}
     * receives each fd's returned events.
     */
    public static int poll(int[] fds, short[] revents, int timeoutMillis) throws NativeException {
        Memory mem = new Memory(8L * fds.length);
        for (int i = 0; i < fds.length; i++) {
            mem.setInt(8L * i, fds[i]);
            mem.setShort(8L * i + 4, POLLIN);
            mem.setShort(8L * i + 6, (short) 0);
        }
        int ready;
        try {
            ready = LibC.INSTANCE.poll(mem, fds.length, timeoutMillis);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Errno.EINTR) {
                return 0;
            }
            throw new NativeException("poll", e.getErrorCode());
        }
        for (int i = 0; i < fds.length; i++) {
            revents[i] = mem.getShort(8L * i + 6);
        }
        return ready;
    }

    public static void mount(String source, String target, String fsType) throws NativeException {
        try {
            LibC.INSTANCE.mount(source, target, fsType, 0L, null);
        } catch (LastErrorException e) {
            throw new NativeException("mount " + fsType + " on " + target, e.getErrorCode());
        }
    }

    public static void mkfifo(String path, int mode) throws NativeException {
        try {
            LibC.INSTANCE.mkfifo(path, mode);
        } catch (LastErrorException e) {
            throw new NativeException("mkfifo " + path, e.getErrorCode());
        }
    }

    /**
     * process_vm_readv(2): copies up to {@code length} bytes at {@code address} in process {@code pid} into
     * {@code buf}. Returns the bytes copied, which is short when the range runs into unmapped memory (0 when it
     * starts there: EFAULT is answered as 0, not thrown). Throws for a process that is gone (ESRCH) or not
     * readable (EPERM).
     */
    public static long processVmReadv(int pid, long address, Memory buf, long length) throws NativeException {
        Memory iovs = new Memory(32);
        iovs.setPointer(0, buf);
        iovs.setLong(8, length);
        iovs.setLong(16, address);
        iovs.setLong(24, length);
        try {
            return LibC.INSTANCE.process_vm_readv(pid, iovs, 1, iovs.share(16), 1, 0);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Errno.EFAULT) {
                return 0;
            }
            throw new NativeException("process_vm_readv of pid " + pid, e.getErrorCode());
        }
    }

    public static int geteuid() {
        return LibC.INSTANCE.geteuid();
    }
}
