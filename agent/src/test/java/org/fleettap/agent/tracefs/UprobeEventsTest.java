package org.fleettap.agent.tracefs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.internal.sys.Errno;
import org.fleettap.agent.internal.sys.Syscalls;
import org.fleettap.agent.perf.PerfEvent;
import org.fleettap.agent.perf.PerfEventAttr;
import org.fleettap.agent.target.PidNamespace;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.agent.testing.Oracles;
import org.fleettap.agent.tracefs.TracepointFormat.Field;
import org.fleettap.agent.tracefs.TracepointFormat.Kind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real uprobe events on the loop fixture's {@code f}. Everything a test defines is removed after it. */
class UprobeEventsTest {
    private static final Duration BUSY_TIMEOUT = Duration.ofMillis(300);

    private static Tracefs tracefs;
    private static Path loop;
    private static long fOffset;

    private final String group = UprobeEvents.ownGroup();
    private final List<String> defined = new ArrayList<>();
    private UprobeEvents events;

    @BeforeAll
    static void locate() throws Exception {
        assumeTrue(Syscalls.geteuid() == 0, "uprobe events need root");
        tracefs = Tracefs.locate();
        loop = Fixtures.path("loop");
        fOffset = Oracles.functionFileOffset(loop, "f");
    }

    @BeforeEach
    void open() throws Exception {
        events = UprobeEvents.open(tracefs, BUSY_TIMEOUT);
    }

    @AfterEach
    void removeEverythingDefined() throws Exception {
        for (String name : defined) {
            events.remove(name);
        }
        for (String name : defined) {
            assertThat(listedNames()).doesNotContain(name);
        }
    }

    /** A spec whose event is removed after the test, whatever happens. */
    private UprobeEventSpec.Builder spec(String g, String event) {
        defined.add(g + "/" + event);
        return UprobeEventSpec.builder(g, event, loop, fOffset);
    }

    private List<String> listing() throws IOException {
        return Arrays.stream(tracefs.read("uprobe_events").split("\n")).filter(l -> !l.isBlank()).toList();
    }

    private List<String> listedNames() throws IOException {
        return UprobeEventLine.parseAll(tracefs.read("uprobe_events")).stream()
                .map(UprobeEventLine::qualifiedName).toList();
    }

    private String hexOffset() {
        return String.format("0x%016x", fOffset);
    }

    @Test
    void createsAnEventReadsItBackAndRemovesItOnClose() throws Exception {
        UprobeEventSpec s = spec(group, "t_entry")
                .arg("a", FetchLocation.register("di"), FetchType.U32)
                .arg("c", FetchLocation.comm())
                .build();
        Path dir = tracefs.path("events/" + group + "/t_entry");

        DynamicUprobe u = events.create(s);
        try (u) {
            assertThat(listing()).contains("p:" + group + "/t_entry " + loop + ":" + hexOffset()
                    + " a=%di:u32 c=$comm");
            assertThat(u.id()).isEqualTo(Long.parseLong(Files.readString(dir.resolve("id")).strip()));
            assertThat(u.spec()).isEqualTo(s);
            assertThat(u.format().name()).isEqualTo("t_entry");
            assertThat(u.format().id()).isEqualTo(u.id());
            assertThat(u.format().payloadFields()).containsExactly(
                    new Field("__probe_ip", "unsigned long", 8, 8, false, Kind.SCALAR, -1),
                    new Field("a", "u32", 16, 4, false, Kind.SCALAR, -1),
                    new Field("c", "__data_loc char[]", 20, 4, true, Kind.DATA_LOC, -1));
            assertThat(u).hasToString("uprobe event " + group + "/t_entry (id " + u.id() + ") on " + loop + ":0x"
                    + Long.toHexString(fOffset));
        }

        assertThat(listedNames()).doesNotContain(group + "/t_entry");
        assertThat(dir).doesNotExist();
        u.close(); // idempotent
    }

    @Test
    void createsAReturnProbe() throws Exception {
        UprobeEventSpec s = spec(group, "t_return").retprobe(true)
                .arg("ret", FetchLocation.retval(), FetchType.S32)
                .build();

        try (DynamicUprobe u = events.create(s)) {
            assertThat(listing()).contains("r:" + group + "/t_return " + loop + ":" + hexOffset()
                    + " ret=$retval:s32");
            assertThat(u.format().payloadFields()).containsExactly(
                    new Field("__probe_func", "unsigned long", 8, 8, false, Kind.SCALAR, -1),
                    new Field("__probe_ret_ip", "unsigned long", 16, 8, false, Kind.SCALAR, -1),
                    new Field("ret", "s32", 24, 4, true, Kind.SCALAR, -1));
        }
        assertThat(listedNames()).doesNotContain(group + "/t_return");
    }

    @Test
    void removingOneEventLeavesTheOthers() throws Exception {
        DynamicUprobe keep = events.create(spec(group, "t_keep").build());
        try (keep) {
            try (DynamicUprobe gone = events.create(spec(group, "t_gone").build())) {
                assertThat(listedNames()).contains(group + "/t_keep", group + "/t_gone");
            }
            assertThat(listedNames()).contains(group + "/t_keep").doesNotContain(group + "/t_gone");
        }
    }

    @Test
    void anInvalidFetchArgIsAClearErrorAndLeavesNothingBehind() throws Exception {
        UprobeEventSpec s = spec(group, "t_bad").arg("x", FetchLocation.register("nope")).build();

        assertThatThrownBy(() -> events.create(s))
                .isInstanceOf(IOException.class)
                .hasMessage("creating uprobe event " + group + "/t_bad on " + loop + ":0x" + Long.toHexString(fOffset)
                        + ": " + Errno.describe(Errno.EINVAL) + ": kernel says: Invalid register name (at 'x=%nope')");

        assertThat(listedNames()).doesNotContain(group + "/t_bad");
        assertThat(tracefs.path("events/" + group + "/t_bad")).doesNotExist();
    }

    @Test
    void aDuplicateNameIsAnError() throws Exception {
        UprobeEventSpec s = spec(group, "t_twice").build();
        try (DynamicUprobe first = events.create(s)) {
            assertThatThrownBy(() -> events.create(s))
                    .isInstanceOf(IOException.class)
                    .hasMessageStartingWith("creating uprobe event " + group + "/t_twice on " + loop + ":0x"
                            + Long.toHexString(fOffset) + ": " + Errno.describe(Errno.EEXIST) + ": an event named "
                            + group + "/t_twice already exists");
            assertThat(listedNames()).containsOnlyOnce(group + "/t_twice");
        }
    }

    @Test
    void closeRetriesWhileAPerfEventIsOpenThenReports() throws Exception {
        DynamicUprobe u = events.create(spec(group, "t_busy").build());
        PerfEvent perf = PerfEvent.open(PerfEventAttr.builder(PerfEventAttr.TYPE_TRACEPOINT, u.id()).build(), -1, 0,
                null);
        try {
            long start = System.nanoTime();
            assertThatThrownBy(u::close)
                    .isInstanceOf(IOException.class)
                    .hasMessage("removing uprobe event " + group + "/t_busy: " + Errno.describe(Errno.EBUSY)
                            + " for 300 ms: a perf event is still open on it");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(BUSY_TIMEOUT);
            assertThat(listedNames()).contains(group + "/t_busy");
        } finally {
            perf.close();
        }
        u.close(); // a later close succeeds once the perf event is gone
        assertThat(listedNames()).doesNotContain(group + "/t_busy");
    }

    @Test
    void closeSucceedsWhenThePerfEventClosesWhileRetrying() throws Exception {
        UprobeEvents patient = UprobeEvents.open(tracefs, Duration.ofSeconds(10));
        DynamicUprobe u = patient.create(spec(group, "t_wait").build());
        PerfEvent perf = PerfEvent.open(PerfEventAttr.builder(PerfEventAttr.TYPE_TRACEPOINT, u.id()).build(), -1, 0,
                null);
        CompletableFuture<Void> closer = CompletableFuture.runAsync(perf::close,
                CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS));
        try {
            u.close();
            assertThat(listedNames()).doesNotContain(group + "/t_wait");
        } finally {
            closer.join();
        }
    }

    @Test
    void removesTheEventsOfDeadAgentsOnly() throws Exception {
        long deadPid = deadPid();
        String deadGroup = UprobeEvents.groupFor(deadPid);
        String otherTool = "fleettapx_" + ProcessHandle.current().pid(); // not an agent group
        events.create(spec(deadGroup, "t_stale1").build());
        events.create(spec(deadGroup, "t_stale2").retprobe(true).build());
        DynamicUprobe mine = events.create(spec(group, "t_live").build());
        DynamicUprobe other = events.create(spec(otherTool, "t_other").build());
        try (mine; other) {
            // Every other fleettap_ group counts as alive, so only this test's dead group is touched.
            int removed = events.removeStaleGroups(pid -> pid != deadPid);

            assertThat(removed).isEqualTo(2);
            assertThat(listedNames()).doesNotContain(deadGroup + "/t_stale1", deadGroup + "/t_stale2")
                    .contains(group + "/t_live", otherTool + "/t_other");
            assertThat(events.removeStaleGroups(pid -> pid != deadPid)).isZero();
        }
    }

    /**
     * Agents in child PID namespaces (containers, hosts simulated on one machine) share the machine's tracefs and may
     * have the same pid: their groups carry the namespace. An agent judges only its own namespace's agents by pid;
     * in the initial namespace, a child namespace's group is stale once that namespace has no process left.
     */
    @Test
    void groupsOfAgentsInChildPidNamespacesAreTheirsAndStaleOnlyWithTheirNamespace() throws Exception {
        PidNamespace initial = new PidNamespace(PidNamespace.INITIAL_INODE);
        PidNamespace childA = new PidNamespace(4026599001L);
        PidNamespace childB = new PidNamespace(4026599002L);
        assertThat(UprobeEvents.groupFor(childA, 2)).isEqualTo("fleettap_4026599001_2");
        assertThat(UprobeEvents.groupFor(initial, 2)).isEqualTo("fleettap_2");
        long deadPid = deadPid();
        String deadInA = UprobeEvents.groupFor(childA, deadPid);
        String liveInA = UprobeEvents.groupFor(childA, 2);
        String inB = UprobeEvents.groupFor(childB, deadPid);
        String deadInInitial = UprobeEvents.groupFor(initial, deadPid);
        for (String g : List.of(deadInA, liveInA, inB, deadInInitial)) {
            events.create(spec(g, "t_ns").build());
        }
        // In namespace A: its own dead agent's group goes; the others' cannot be judged from there.
        assertThat(events.removeStaleGroups(childA, pid -> pid != deadPid, ns -> true)).isEqualTo(1);
        assertThat(listedNames()).doesNotContain(deadInA + "/t_ns")
                .contains(liveInA + "/t_ns", inB + "/t_ns", deadInInitial + "/t_ns");
        // In the initial namespace: a child namespace's groups go with the namespace (B is gone, A lives on).
        assertThat(events.removeStaleGroups(initial, pid -> pid != deadPid, ns -> ns != childB.inode()))
                .isEqualTo(2);
        assertThat(listedNames()).doesNotContain(inB + "/t_ns", deadInInitial + "/t_ns").contains(liveInA + "/t_ns");
        assertThat(UprobeEvents.pidNamespaceExists(PidNamespace.current().inode())).isTrue();
        assertThat(UprobeEvents.pidNamespaceExists(4026599003L)).isFalse();
    }

    @Test
    void removesStaleGroupsByRealProcessLiveness() throws Exception {
        long deadPid = deadPid();
        String deadGroup = UprobeEvents.groupFor(deadPid);
        events.create(spec(deadGroup, "t_stale").build());
        try (DynamicUprobe mine = events.create(spec(group, "t_live").build())) {
            int removed = events.removeStaleGroups();

            assertThat(removed).isGreaterThanOrEqualTo(1);
            assertThat(listedNames()).doesNotContain(deadGroup + "/t_stale").contains(group + "/t_live");
        }
    }

    @Test
    void tellsLiveProcessesFromDeadOnes() throws Exception {
        assertThat(UprobeEvents.isAlive(ProcessHandle.current().pid())).isTrue();
        assertThat(UprobeEvents.isAlive(deadPid())).isFalse();
        assertThat(UprobeEvents.groupFor(1234)).isEqualTo("fleettap_1234");
        assertThat(UprobeEvents.ownGroup()).isEqualTo("fleettap_" + ProcessHandle.current().pid());
        assertThatThrownBy(() -> UprobeEvents.groupFor(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid pid 0");
    }

    @Test
    void aTracefsWithoutUprobeEventsIsAMissingFeature(@TempDir Path dir) {
        assertThatThrownBy(() -> UprobeEvents.open(Tracefs.at(dir)))
                .isInstanceOfSatisfying(MissingFeatureException.class,
                        e -> assertThat(e.feature()).isEqualTo("uprobe_events (CONFIG_UPROBE_EVENTS)"))
                .hasMessage("uprobe_events (CONFIG_UPROBE_EVENTS) is not available on this kernel: "
                        + dir.resolve("uprobe_events") + " does not exist");
    }

    /** The pid of a process that has exited (and been reaped). */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return p.pid();
    }
}
