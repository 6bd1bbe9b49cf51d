package org.fleettap.agent.tracefs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fleettap.agent.internal.sys.Syscalls;
import org.fleettap.agent.tracefs.TracepointFormat.Field;
import org.fleettap.agent.tracefs.TracepointFormat.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TracepointsTest {

    private static Tracepoints system() throws Exception {
        assumeTrue(Syscalls.geteuid() == 0, "reading tracefs needs root");
        return new Tracepoints(Tracefs.locate());
    }

    @Test
    void readsTheKernelsSysEnterFutex() throws Exception {
        Tracepoints tp = system();
        Tracefs tracefs = Tracefs.locate();

        TracepointFormat f = tp.format("syscalls:sys_enter_futex");

        assertThat(f.name()).isEqualTo("sys_enter_futex");
        assertThat(f.id()).isEqualTo(Long.parseLong(
                Files.readString(tracefs.path("events/syscalls/sys_enter_futex/id")).strip()));
        assertThat(tp.id("syscalls:sys_enter_futex")).isEqualTo(f.id());
        assertThat(f.fields()).filteredOn(Field::common).extracting(Field::name)
                .containsExactly("common_type", "common_flags", "common_preempt_count", "common_pid");
        assertThat(f.payloadFields()).containsExactly(
                new Field("__syscall_nr", "int", 8, 4, true, Kind.SCALAR, -1),
                new Field("uaddr", "u32 *", 16, 8, false, Kind.SCALAR, -1),
                new Field("op", "int", 24, 8, false, Kind.SCALAR, -1),
                new Field("val", "u32", 32, 8, false, Kind.SCALAR, -1),
                new Field("utime", "const struct __kernel_timespec *", 40, 8, false, Kind.SCALAR, -1),
                new Field("uaddr2", "u32 *", 48, 8, false, Kind.SCALAR, -1),
                new Field("val3", "u32", 56, 8, false, Kind.SCALAR, -1));
    }

    @Test
    void readsStringFieldsOfTheKernelsEvents() throws Exception {
        Tracepoints tp = system();

        assertThat(tp.format("sched:sched_switch").requireField("prev_comm"))
                .isEqualTo(new Field("prev_comm", "char[16]", 8, 16, false, Kind.ARRAY, 16));
        assertThat(tp.format("sched:sched_process_exec").requireField("filename"))
                .isEqualTo(new Field("filename", "__data_loc char[]", 8, 4, false, Kind.DATA_LOC, -1));
    }

    @Test
    void listsAllEvents() throws Exception {
        Tracepoints tp = system();

        assertThat(tp.all()).contains("syscalls:sys_enter_futex", "syscalls:sys_exit_futex", "sched:sched_switch")
                .isSorted().doesNotHaveDuplicates();
        assertThat(tp.exists("syscalls:sys_enter_futex")).isTrue();
        assertThat(tp.exists("syscalls:sys_enter_nonesuch")).isFalse();
    }

    @Test
    void aTracepointThatDoesNotExistIsAnErrorNamingIt() throws Exception {
        Tracepoints tp = system();
        Path events = Tracefs.locate().path("events");

        assertThatThrownBy(() -> tp.id("syscalls:sys_enter_nonesuch"))
                .isInstanceOfSatisfying(UnknownTracepointException.class,
                        e -> assertThat(e.tracepoint()).isEqualTo("syscalls:sys_enter_nonesuch"))
                .hasMessage("tracepoint syscalls:sys_enter_nonesuch does not exist (no "
                        + events.resolve("syscalls/sys_enter_nonesuch/id") + ")");
        assertThatThrownBy(() -> tp.format("nonesuch:thing"))
                .isInstanceOf(UnknownTracepointException.class)
                .hasMessage("tracepoint nonesuch:thing does not exist (no "
                        + events.resolve("nonesuch/thing/format") + ")");
    }

    @ParameterizedTest
    @ValueSource(strings = {"sys_enter_futex", ":x", "x:", "a:b:c", "..:x", "x:..", "a/b:c", "a:b/c", "a b:c"})
    void refusesNamesThatAreNotSystemColonEvent(String name) {
        Tracepoints tp = new Tracepoints(Tracefs.at(Path.of("/nonexistent")));

        assertThatThrownBy(() -> tp.id(name)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("tracepoint name '" + name + "' ");
    }

    @Test
    void worksOnAnyTreeLaidOutLikeTracefs(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("events/demo/tick"));
        Files.createDirectories(dir.resolve("events/demo/broken"));
        Files.createDirectories(dir.resolve("events/zzz/tock"));
        Files.writeString(dir.resolve("events/demo/tick/id"), "77\n");
        Files.writeString(dir.resolve("events/demo/tick/format"),
                "name: tick\nID: 77\nformat:\n\tfield:int n;\toffset:8;\tsize:4;\tsigned:1;\n");
        Files.writeString(dir.resolve("events/demo/broken/id"), "x\n");
        Files.writeString(dir.resolve("events/demo/broken/format"), "garbage\n");
        Files.writeString(dir.resolve("events/zzz/tock/format"), "name: tock\nID: 78\n");
        Files.writeString(dir.resolve("events/demo/enable"), "0\n");
        Tracepoints tp = new Tracepoints(Tracefs.at(dir));

        assertThat(tp.all()).containsExactly("demo:broken", "demo:tick", "zzz:tock");
        assertThat(tp.id("demo:tick")).isEqualTo(77);
        assertThat(tp.format("demo:tick").fields())
                .containsExactly(new Field("n", "int", 8, 4, true, Kind.SCALAR, -1));
        assertThatThrownBy(() -> tp.id("demo:broken")).isInstanceOf(IOException.class)
                .hasMessage("reading id of tracepoint demo:broken: not a number: 'x'");
        assertThatThrownBy(() -> tp.format("demo:broken")).isInstanceOf(IOException.class)
                .hasMessage("parsing format of tracepoint demo:broken: tracepoint format has no 'name:' line");

        Files.writeString(dir.resolve("available_events"), "b:one\na:two\n\n");
        assertThat(tp.all()).containsExactly("a:two", "b:one");
    }
}
