package org.fleettap.agent.target;

import com.sun.jna.Memory;
import java.nio.charset.StandardCharsets;
import org.fleettap.agent.internal.sys.Errno;
import org.fleettap.agent.internal.sys.NativeException;
import org.fleettap.agent.internal.sys.Syscalls;

/**
 * Reads the memory of traced processes (process_vm_readv): for addresses a probe could not read in the kernel,
 * because the script computed them (a pointer saved at entry and read at return, say). The read happens when
 * the agent handles the event, a few milliseconds after it: the process has run on, and may have exited.
 * One instance per handling thread (it keeps one native buffer).
 */
public final class ProcessMemory {
    private static final int PAGE = 4096;

    private final Memory buffer = new Memory(PAGE);

    /** Why a read failed: the address is not mapped, or the process is gone or not readable. */
    public static final class ReadException extends Exception {
        private static final long serialVersionUID = 1L;

        ReadException(String message) {
            super(message, null, false, false);
        }
    }

    /** An integer of {@code size} bytes (1, 2, 4 or 8) at {@code address}, little-endian, sign- or zero-extended. */
    public long readInteger(int pid, long address, int size, boolean signed) throws ReadException {
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("integer size " + size);
        }
        if (copy(pid, address, size) < size) {
            throw fault(pid, address);
        }
        return switch (size) {
            case 1 -> signed ? buffer.getByte(0) : buffer.getByte(0) & 0xffL;
            case 2 -> signed ? buffer.getShort(0) : buffer.getShort(0) & 0xffffL;
            case 4 -> signed ? buffer.getInt(0) : buffer.getInt(0) & 0xffff_ffffL;
            default -> buffer.getLong(0);
        };
    }

    /**
     * The NUL-terminated string at {@code address}, at most {@code maxBytes} bytes of it (UTF-8). Reads page by
     * page, so a string that ends just before unmapped memory is read whole.
     */
    public String readString(int pid, long address, int maxBytes) throws ReadException {
        byte[] out = new byte[Math.max(0, maxBytes)];
        int n = 0;
        long at = address;
        while (n < maxBytes) {
            int chunk = (int) Math.min(maxBytes - n, PAGE - Long.remainderUnsigned(at, PAGE));
            long got = copy(pid, at, chunk);
            if (got <= 0) {
                throw fault(pid, address);
            }
            for (int i = 0; i < got; i++) {
                byte b = buffer.getByte(i);
                if (b == 0) {
                    return new String(out, 0, n, StandardCharsets.UTF_8);
                }
                out[n++] = b;
            }
            at += got;
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    private long copy(int pid, long address, int length) throws ReadException {
        try {
            return Syscalls.processVmReadv(pid, address, buffer, length);
        } catch (NativeException e) {
            if (e.errno() == Errno.ESRCH) {
                throw new ReadException("process " + pid + " has exited, its memory at 0x" + Long.toHexString(address)
                        + " is gone");
            }
            throw new ReadException("cannot read process " + pid + " at 0x" + Long.toHexString(address) + ": "
                    + e.getMessage());
        }
    }

    private static ReadException fault(int pid, long address) {
        return new ReadException("user memory fault at 0x" + Long.toHexString(address) + " in process " + pid);
    }
}
