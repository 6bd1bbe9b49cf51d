package org.fleettap.agent.tracefs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.OptionalInt;
import org.fleettap.agent.internal.sys.Errno;
import org.junit.jupiter.api.Test;

class KernelErrorsTest {
    private static final String ERROR_LOG = """
            [  200.301390] trace_uprobe: error: Invalid register name
              Command: p:g/bad /tmp/loop:0x1139 x=%nope
                                                  ^
            [  245.553087] trace_uprobe: error: This argument name is already used
              Command: p:g/x4 /tmp/loop:0x1139 a=%di a=%si
                                                     ^
            [  245.553281] trace_uprobe: error: $retval is not available on probe
              Command: p:g/bad /tmp/loop:0x1139 x=$retval
                                                  ^
            [  245.600000] trace_kprobe: error: Invalid register name
              Command: p:other/thing do_sys_open x=%nope
                                                   ^
            """;

    @Test
    void explainsTheLatestEntryForTheCommand() {
        assertThat(KernelErrors.explain(ERROR_LOG, "p:g/bad /tmp/loop:0x1139 x=%nope"))
                .contains("Invalid register name (at 'x=%nope')");
        assertThat(KernelErrors.explain(ERROR_LOG, "p:g/x4 /tmp/loop:0x1139 a=%di a=%si"))
                .contains("This argument name is already used (at 'a=%si')");
        assertThat(KernelErrors.explain(ERROR_LOG, "p:g/bad /tmp/loop:0x1139 x=$retval"))
                .contains("$retval is not available on probe (at 'x=$retval')");
    }

    @Test
    void nothingWhenTheLogHasNoEntryForTheCommand() {
        assertThat(KernelErrors.explain(ERROR_LOG, "p:g/other /tmp/loop:0x1139")).isEmpty();
        assertThat(KernelErrors.explain("", "p:g/other /tmp/loop:0x1139")).isEmpty();
    }

    @Test
    void aTruncatedCommandInTheLogStillMatches() {
        String log = "[ 1.0] trace_uprobe: error: Too many arguments\n  Command: p:g/e /x:0x1 a=%di\n"
                + "             ^\n";

        assertThat(KernelErrors.explain(log, "p:g/e /x:0x1 a=%di b=%si")).contains("Too many arguments (at 'p:g/e')");
    }

    @Test
    void recognisesErrnosFromTheJdksMessages() {
        String busy = Errno.describe(Errno.EBUSY);
        String jdkText = busy.substring(0, busy.indexOf(" (EBUSY)"));

        assertThat(KernelErrors.errno(new IOException(jdkText))).isEqualTo(OptionalInt.of(Errno.EBUSY));
        assertThat(KernelErrors.describe(new IOException(jdkText))).isEqualTo(busy);
        assertThat(KernelErrors.errno(new IOException("something else"))).isEmpty();
        assertThat(KernelErrors.errno(new IOException())).isEmpty();
        assertThat(KernelErrors.describe(new IOException("something else"))).isEqualTo("something else");
    }
}
