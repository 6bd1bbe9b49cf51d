package org.fleettap.agent.internal.sys;

import java.io.IOException;

/** A failed system call: the call's name, what it was doing, and the errno the kernel returned. */
public final class NativeException extends IOException {
    private final int errno;

    public NativeException(String call, int errno) {
        super(call + ": " + Errno.describe(errno));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
