package org.fleettap.agent.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.fleettap.agent.target.Tasks;
import org.junit.jupiter.api.Test;

class LineageTest {
    private final Map<Integer, Tasks.Credentials> proc = new HashMap<>();
    private final Lineage lineage = new Lineage(pid -> Optional.ofNullable(proc.get(pid)));

    @Test
    void aChildKeepsItsParentAndUserAfterItHasGone() {
        proc.put(100, new Tasks.Credentials(1, 1000, 1000));
        lineage.onFork(100, 200);
        lineage.onFork(200, 300);
        assertThat(lineage.of(200)).isEqualTo(new Tasks.Credentials(100, 1000, 1000));
        assertThat(lineage.of(300)).isEqualTo(new Tasks.Credentials(200, 1000, 1000));
    }

    @Test
    void aNewThreadIsNotANewProcess() {
        proc.put(100, new Tasks.Credentials(1, 0, 0));
        lineage.onFork(100, 100);
        assertThat(lineage.of(100)).isEqualTo(new Tasks.Credentials(1, 0, 0));
    }

    @Test
    void execOfASetUidProgramChangesTheEffectiveUserNotTheParent() {
        proc.put(100, new Tasks.Credentials(1, 1000, 1000));
        lineage.onFork(100, 200);
        proc.put(200, new Tasks.Credentials(1, 1000, 0)); // reparented in /proc by now; the fork said 100
        lineage.onExec(200);
        assertThat(lineage.of(200)).isEqualTo(new Tasks.Credentials(100, 1000, 0));
    }

    @Test
    void anExecReadTooLateMakesTheUserUnknownNotTheForksOne() {
        proc.put(100, new Tasks.Credentials(1, 0, 0));
        lineage.onFork(100, 200); // root's child; it then changes its user (setpriv) and execs, and is gone
        lineage.onExec(200);
        assertThat(lineage.of(200)).isEqualTo(new Tasks.Credentials(100, -1, -1));
    }

    @Test
    void aProcessGoneAndNeverSeenIsUnknown() {
        assertThat(lineage.of(4242)).isEqualTo(new Tasks.Credentials(0, -1, -1));
    }

    @Test
    void runningProcessesAreReadFromProc() {
        int self = (int) ProcessHandle.current().pid();
        Tasks.Credentials c = new Lineage().of(self);
        assertThat(c.ppid()).isEqualTo((int) ProcessHandle.current().parent().orElseThrow().pid());
        assertThat(c.uid()).isEqualTo(0); // the tests run as root
        assertThat(c.euid()).isEqualTo(0);
    }

    @Test
    void parsesTheStatusFile() {
        String status = "Name:\tcat\nUmask:\t0022\nState:\tR (running)\nTgid:\t7\nNgid:\t0\nPid:\t7\nPPid:\t5\n"
                + "TracerPid:\t0\nUid:\t1000\t1001\t1002\t1003\nGid:\t100\t100\t100\t100\n";
        assertThat(Tasks.Credentials.parseStatus(status)).isEqualTo(new Tasks.Credentials(5, 1000, 1001));
    }
}
