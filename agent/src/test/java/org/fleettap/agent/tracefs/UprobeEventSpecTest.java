package org.fleettap.agent.tracefs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class UprobeEventSpecTest {
    private static final Path LOOP = Path.of("/opt/app/loop");

    private static UprobeEventSpec.Builder spec(String event, long offset) {
        return UprobeEventSpec.builder("fleettap_1234", event, LOOP, offset);
    }

    static Stream<Arguments> renderings() {
        return Stream.of(
                Arguments.of("entry without args", spec("f_entry", 0x1139).build(),
                        "p:fleettap_1234/f_entry /opt/app/loop:0x1139"),
                Arguments.of("return probe", spec("f_return", 0x1139).retprobe(true).build(),
                        "r:fleettap_1234/f_return /opt/app/loop:0x1139"),
                Arguments.of("offset zero", spec("start", 0).build(),
                        "p:fleettap_1234/start /opt/app/loop:0x0"),
                Arguments.of("large offset", spec("far", 0x7fff_0000_0000L).build(),
                        "p:fleettap_1234/far /opt/app/loop:0x7fff00000000"),
                Arguments.of("USDT semaphore", spec("mark", 0x1234).refCtrOffset(0x4010).build(),
                        "p:fleettap_1234/mark /opt/app/loop:0x1234(0x4010)"),
                Arguments.of("register, default type", spec("a", 0x10).arg("x", FetchLocation.register("di")).build(),
                        "p:fleettap_1234/a /opt/app/loop:0x10 x=%di"),
                Arguments.of("register, typed", spec("a", 0x10)
                                .arg("x", FetchLocation.register("di"), FetchType.S32)
                                .arg("y", FetchLocation.register("r8"), FetchType.X16).build(),
                        "p:fleettap_1234/a /opt/app/loop:0x10 x=%di:s32 y=%r8:x16"),
                Arguments.of("absolute memory", spec("a", 0x10)
                                .arg("m", FetchLocation.memory(0x601040), FetchType.U64).build(),
                        "p:fleettap_1234/a /opt/app/loop:0x10 m=@0x601040:u64"),
                Arguments.of("file offset memory (a global)", spec("a", 0x10)
                                .arg("count", FetchLocation.fileOffset(0x4014), FetchType.S32).build(),
                        "p:fleettap_1234/a /opt/app/loop:0x10 count=@+0x4014:s32"),
                Arguments.of("stack pointer and entries", spec("a", 0x10)
                                .arg("sp", FetchLocation.stack())
                                .arg("ret_addr", FetchLocation.stackEntry(0), FetchType.X64)
                                .arg("s7", FetchLocation.stackEntry(7), FetchType.U8).build(),
                        "p:fleettap_1234/a /opt/app/loop:0x10 sp=$stack ret_addr=$stack0:x64 s7=$stack7:u8"),
                Arguments.of("return value", spec("f_return", 0x1139).retprobe(true)
                                .arg("ret", FetchLocation.retval(), FetchType.S64).build(),
                        "r:fleettap_1234/f_return /opt/app/loop:0x1139 ret=$retval:s64"),
                Arguments.of("comm, untyped and string", spec("a", 0x10)
                                .arg("c1", FetchLocation.comm())
                                .arg("c2", FetchLocation.comm(), FetchType.STRING).build(),
                        "p:fleettap_1234/a /opt/app/loop:0x10 c1=$comm c2=$comm:string"),
                Arguments.of("string through a register", spec("a", 0x10)
                                .arg("path", FetchLocation.deref(0, FetchLocation.register("si")), FetchType.STRING)
                                .build(),
                        "p:fleettap_1234/a /opt/app/loop:0x10 path=+0(%si):string"),
                Arguments.of("struct member, negative and nested", spec("a", 0x10)
                                .arg("local", FetchLocation.deref(-16, FetchLocation.register("bp")), FetchType.S64)
                                .arg("owner", FetchLocation.deref(16,
                                        FetchLocation.deref(8, FetchLocation.register("di"))), FetchType.U32)
                                .build(),
                        "p:fleettap_1234/a /opt/app/loop:0x10 local=-16(%bp):s64 owner=+16(+8(%di)):u32"),
                Arguments.of("member of the return value", spec("r", 0x10).retprobe(true)
                                .arg("len", FetchLocation.deref(8, FetchLocation.retval()), FetchType.U64).build(),
                        "r:fleettap_1234/r /opt/app/loop:0x10 len=+8($retval):u64"),
                Arguments.of("every integer type", everyType(),
                        "p:fleettap_1234/t /opt/app/loop:0x10 a_u8=+0(%ax):u8 a_u16=+0(%ax):u16 a_u32=+0(%ax):u32 "
                                + "a_u64=+0(%ax):u64 a_s8=+0(%ax):s8 a_s16=+0(%ax):s16 a_s32=+0(%ax):s32 "
                                + "a_s64=+0(%ax):s64 a_x8=+0(%ax):x8 a_x16=+0(%ax):x16 a_x32=+0(%ax):x32 "
                                + "a_x64=+0(%ax):x64 a_string=+0(%ax):string"));
    }

    private static UprobeEventSpec everyType() {
        UprobeEventSpec.Builder b = spec("t", 0x10);
        for (FetchType t : FetchType.values()) {
            b.arg("a_" + t.token(), FetchLocation.deref(0, FetchLocation.register("ax")), t);
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void rendersTheExactUprobeEventsLine(String name, UprobeEventSpec spec, String line) {
        assertThat(spec.definition()).isEqualTo(line);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void fetchArgsRoundTripThroughTheirText(String name, UprobeEventSpec spec, String line) {
        for (FetchArg a : spec.args()) {
            assertThat(FetchArg.parse(a.render())).isEqualTo(a);
        }
    }

    @Test
    void namesTheEventAndItsRemoval() {
        UprobeEventSpec s = spec("f_entry", 0x1139).refCtrOffset(0x20).build();

        assertThat(s.qualifiedName()).isEqualTo("fleettap_1234/f_entry");
        assertThat(s.location()).isEqualTo("/opt/app/loop:0x1139(0x20)");
        assertThat(s.removal()).isEqualTo("-:fleettap_1234/f_entry");
        assertThat(s.refCtrOffset()).isEqualTo(OptionalLong.of(0x20));
        assertThat(s.retprobe()).isFalse();
    }

    @Test
    void parsesTheKernelsOtherSpellings() {
        assertThat(FetchArg.parse("x=+0x10(%di):u8"))
                .isEqualTo(FetchArg.of("x", FetchLocation.deref(16, FetchLocation.register("di")), FetchType.U8));
        assertThat(FetchArg.parse("x=-u8(%sp)"))
                .isEqualTo(FetchArg.of("x", FetchLocation.deref(-8, FetchLocation.register("sp"))));
        assertThat(FetchArg.parse("x=@4096"))
                .isEqualTo(FetchArg.of("x", FetchLocation.memory(4096)));
    }

    static Stream<Arguments> invalidSpecs() {
        return Stream.of(
                Arguments.of("group with a dash", (Supplier<Object>) () ->
                                UprobeEventSpec.builder("fleet-tap", "e", LOOP, 1).build(),
                        "invalid group name 'fleet-tap': must match [A-Za-z_][A-Za-z0-9_]*"),
                Arguments.of("event starting with a digit", (Supplier<Object>) () -> spec("1st", 1).build(),
                        "invalid event name '1st': must match [A-Za-z_][A-Za-z0-9_]*"),
                Arguments.of("empty event", (Supplier<Object>) () -> spec("", 1).build(),
                        "invalid event name '': must match [A-Za-z_][A-Za-z0-9_]*"),
                Arguments.of("event name of 64 characters", (Supplier<Object>) () -> spec("e".repeat(64), 1).build(),
                        "invalid event name '" + "e".repeat(64) + "': longer than 63 characters"),
                Arguments.of("relative path", (Supplier<Object>) () ->
                                UprobeEventSpec.builder("g", "e", Path.of("loop"), 1).build(),
                        "binary path 'loop' is not absolute"),
                Arguments.of("path with a space", (Supplier<Object>) () ->
                                UprobeEventSpec.builder("g", "e", Path.of("/my app/loop"), 1).build(),
                        "binary path '/my app/loop' contains whitespace, which uprobe_events cannot express"),
                Arguments.of("negative offset", (Supplier<Object>) () -> spec("e", -1).build(),
                        "negative file offset -1"),
                Arguments.of("negative semaphore", (Supplier<Object>) () -> spec("e", 1).refCtrOffset(-8).build(),
                        "negative ref_ctr_offset -8"),
                Arguments.of("arg name with a dot", (Supplier<Object>) () ->
                                FetchArg.of("a.b", FetchLocation.register("di")),
                        "invalid fetch argument name 'a.b': must match [A-Za-z_][A-Za-z0-9_]*"),
                Arguments.of("reserved arg name", (Supplier<Object>) () ->
                                spec("e", 1).arg("__probe_ip", FetchLocation.register("ip")).build(),
                        "fetch argument name '__probe_ip' is reserved for the event's own fields"),
                Arguments.of("common_ arg name", (Supplier<Object>) () ->
                                spec("e", 1).arg("common_pid", FetchLocation.register("di")).build(),
                        "fetch argument name 'common_pid' is reserved for the event's own fields"),
                Arguments.of("duplicate arg", (Supplier<Object>) () -> spec("e", 1)
                                .arg("a", FetchLocation.register("di")).arg("a", FetchLocation.register("si")).build(),
                        "fetch argument name 'a' is used twice"),
                Arguments.of("$retval on entry", (Supplier<Object>) () ->
                                spec("e", 1).arg("r", FetchLocation.retval()).build(),
                        "fetch argument r: $retval is only available on return probes"),
                Arguments.of("nested $retval on entry", (Supplier<Object>) () ->
                                spec("e", 1).arg("r", FetchLocation.deref(8, FetchLocation.retval())).build(),
                        "fetch argument r: $retval is only available on return probes"),
                Arguments.of("$comm as integer", (Supplier<Object>) () ->
                                FetchArg.of("c", FetchLocation.comm(), FetchType.U32),
                        "fetch argument c: $comm only takes the string type, not u32"),
                Arguments.of("dereferencing $comm", (Supplier<Object>) () ->
                                FetchLocation.deref(0, FetchLocation.comm()),
                        "$comm is a string, not an address to dereference"),
                Arguments.of("string from a register", (Supplier<Object>) () ->
                                FetchArg.of("s", FetchLocation.register("si"), FetchType.STRING),
                        "fetch argument s: a string must be read from memory (e.g. +0(%si)), not from %si"),
                Arguments.of("register with a percent", (Supplier<Object>) () -> FetchLocation.register("%di"),
                        "invalid register name '%di'"),
                Arguments.of("negative stack entry", (Supplier<Object>) () -> FetchLocation.stackEntry(-1),
                        "negative stack index -1"),
                Arguments.of("negative file offset arg", (Supplier<Object>) () -> FetchLocation.fileOffset(-4),
                        "negative file offset -4"),
                Arguments.of("129 args", (Supplier<Object>) () -> {
                    UprobeEventSpec.Builder b = spec("e", 1);
                    for (int i = 0; i < 129; i++) {
                        b.arg("a" + i, FetchLocation.register("di"));
                    }
                    return b.build();
                }, "129 fetch arguments, the kernel allows 128"),
                Arguments.of("parse: no name", (Supplier<Object>) () -> FetchArg.parse("%di"),
                        "fetch argument '%di' is not of the form NAME=FETCHARG[:TYPE]"),
                Arguments.of("parse: unknown type", (Supplier<Object>) () -> FetchArg.parse("a=%di:u128"),
                        "fetch argument 'a=%di:u128': unknown fetch type 'u128' "
                                + "(expected u8..u64, s8..s64, x8..x64 or string)"),
                Arguments.of("parse: unknown form", (Supplier<Object>) () -> FetchArg.parse("a=$arg1"),
                        "fetch argument 'a=$arg1': invalid fetch location '$arg1' (expected %REG, @ADDR, "
                                + "@+OFFSET, $stack, $stackN, $retval, $comm or +|-OFFS(FETCHARG))"),
                Arguments.of("parse: bad number", (Supplier<Object>) () -> FetchArg.parse("a=+zz(%di)"),
                        "fetch argument 'a=+zz(%di)': invalid fetch location '+zz(%di)'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSpecs")
    void rejectsWhatTheKernelWouldWithAClearMessage(String name, Supplier<Object> build, String message) {
        assertThatThrownBy(build::get).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "_", "A_1", "f_entry", "_Z3fooi"})
    void acceptsKernelNames(String name) {
        assertThat(spec(name, 1).build().event()).isEqualTo(name);
    }

    @Test
    void argsAreCopied() {
        List<FetchArg> args = new ArrayList<>(List.of(FetchArg.of("a", FetchLocation.register("di"))));
        UprobeEventSpec s = new UprobeEventSpec("g", "e", LOOP, 1, false, OptionalLong.empty(), args);
        args.clear();

        assertThat(s.args()).hasSize(1);
        assertThatThrownBy(() -> s.args().clear()).isInstanceOf(UnsupportedOperationException.class);
    }
}
