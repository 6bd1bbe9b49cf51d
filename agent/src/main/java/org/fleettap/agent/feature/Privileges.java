package org.fleettap.agent.feature;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.fleettap.agent.internal.sys.Syscalls;

/** Whether this process may attach probes: root, or CAP_PERFMON and CAP_SYS_ADMIN. */
public final class Privileges {
    private static final int CAP_SYS_ADMIN = 21;
    private static final int CAP_PERFMON = 38;

    private Privileges() {
    }

    /** Throws a one-line explanation when this process may not attach probes. */
    public static void requireProbePrivileges() throws InsufficientPrivilegesException {
        if (Syscalls.geteuid() == 0) {
            return;
        }
        long caps = effectiveCapabilities();
        boolean admin = (caps & (1L << CAP_SYS_ADMIN)) != 0;
        boolean perfmon = (caps & (1L << CAP_PERFMON)) != 0;
        if (!(admin && perfmon)) {
            throw new InsufficientPrivilegesException("must run as root (or with CAP_PERFMON and "
                    + "CAP_SYS_ADMIN) to attach probes; this process has uid " + Syscalls.geteuid()
                    + (admin ? "" : ", no CAP_SYS_ADMIN") + (perfmon ? "" : ", no CAP_PERFMON"));
        }
    }

    static long effectiveCapabilities() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("CapEff:")) {
                    return Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** Not allowed to attach probes. */
    public static final class InsufficientPrivilegesException extends Exception {
        InsufficientPrivilegesException(String message) {
            super(message);
        }
    }
}
