package org.fleettap.agent.internal.sys;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** The libc calls fleettap makes. Only {@link Syscalls} uses this interface directly. */
interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    long syscall(long number, Object... args) throws LastErrorException;

    int ioctl(int fd, long request, long arg) throws LastErrorException;

    Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset) throws LastErrorException;

    int munmap(Pointer addr, long length) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    long read(int fd, Pointer buf, long count) throws LastErrorException;

    int poll(Pointer fds, long nfds, int timeoutMillis) throws LastErrorException;

    int mount(String source, String target, String fsType, long flags, Pointer data) throws LastErrorException;

    int mkfifo(String path, int mode) throws LastErrorException;

    int geteuid();

    long process_vm_readv(int pid, Pointer localIov, long liovcnt, Pointer remoteIov, long riovcnt, long flags)
            throws LastErrorException;

    String strerror(int errnum);
}
