package org.fleettap.agent.dwarf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Struct members, offsets, sizes and printable type names against gdb (print &((T *) 0)->m, whatis, ptype). */
class DwarfTypeGdbTest {

    static Stream<Arguments> memberPaths() {
        return Stream.of(
                Arguments.of("lines", "struct request", List.of("path", "zoom", "origin", "origin.lat", "origin.lon")),
                Arguments.of("lines", "struct point", List.of("lat", "lon")),
                Arguments.of("threads", "pthread_mutex_t", List.of("__data", "__data.__lock", "__data.__count",
                        "__data.__owner", "__data.__kind", "__data.__spins", "__data.__list", "__data.__list.__next",
                        "__size", "__align")),
                Arguments.of("threads-nofp", "pthread_mutex_t", List.of("__data.__lock", "__data.__nusers")),
                Arguments.of("state", "ManProcessor", List.of("state", "state._M_t")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("memberPaths")
    void memberOffsetsAndTypesMatchGdb(String fixture, String typeName, List<String> paths) throws Exception {
        Path path = Fixtures.path(fixture);
        DebugInfo info = DebugInfos.of(path);
        List<DwarfType> types = info.typesNamed(typeName);
        assertThat(types).as(typeName).isNotEmpty();
        DwarfType type = types.get(0);
        List<String> gdb = new ArrayList<>(List.of("gdb", "-nx", "-batch", "-ex", "print/d sizeof(" + typeName + ")"));
        for (String p : paths) {
            gdb.addAll(List.of("-ex", "print/d (long) &((" + typeName + " *) 0)->" + p,
                    "-ex", "whatis ((" + typeName + " *) 0)->" + p));
        }
        gdb.add(path.toString());
        List<String> answers = answers(Fixtures.run(gdb));
        assertThat(type.byteSize()).as("sizeof " + typeName).hasValue(Long.parseLong(answers.get(0)));
        for (int i = 0; i < paths.size(); i++) {
            long offset = 0;
            DwarfType t = type;
            for (String part : paths.get(i).split("\\.")) {
                Member m = t.member(part).orElseThrow(() -> new AssertionError("no member " + part));
                offset += m.offset();
                t = m.type();
            }
            assertThat(offset).as(typeName + "." + paths.get(i) + " offset")
                    .isEqualTo(Long.parseLong(answers.get(1 + 2 * i)));
            assertThat(gdbSpelling(t.printableName())).as(typeName + "." + paths.get(i) + " type")
                    .isEqualTo(answers.get(2 + 2 * i));
        }
    }

    @Test
    void pthreadMutexLockThroughDataIsAnIntAtOffsetZero() throws Exception {
        DwarfType mutex = DebugInfos.fixture("threads").typesNamed("pthread_mutex_t").get(0);
        assertThat(mutex.kind()).isEqualTo(DwarfType.Kind.TYPEDEF);
        assertThat(mutex.resolved().kind()).isEqualTo(DwarfType.Kind.UNION);
        assertThat(mutex.resolved().printableName()).isEqualTo("union {...}");
        Member data = mutex.member("__data").orElseThrow();
        assertThat(data.type().printableName()).isEqualTo("struct __pthread_mutex_s");
        Member lock = data.type().member("__lock").orElseThrow();
        assertThat(lock.offset()).isZero();
        assertThat(lock.type().printableName()).isEqualTo("int");
        assertThat(lock.type().encoding()).isEqualTo(DwarfType.Encoding.SIGNED);
        assertThat(lock.type().byteSize()).hasValue(4);
        assertThat(mutex.member("nonesuch")).isEmpty();
    }

    static Stream<Arguments> functions() {
        return Stream.of(
                Arguments.of("lines", List.of("parse", "render", "process_path_request", "main")),
                Arguments.of("lines-O2", List.of("parse", "render", "process_path_request", "main")),
                Arguments.of("threads", List.of("work", "run", "main")),
                Arguments.of("libfixturelib.so", List.of("lib_add", "lib_touch")),
                Arguments.of("state", List.of("ManProcessor::setState", "ManProcessor::process", "IdleState::process",
                        "ChapterState::process", "blank", "main")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void functionTypesMatchGdbPtype(String fixture, List<String> names) throws Exception {
        Path path = Fixtures.path(fixture);
        DebugInfo info = DebugInfos.of(path);
        List<String> gdb = new ArrayList<>(List.of("gdb", "-nx", "-batch"));
        for (String n : names) {
            gdb.addAll(List.of("-ex", "ptype '" + n + "'"));
        }
        gdb.add(path.toString());
        List<String> answers = answers(Fixtures.run(gdb));
        for (int i = 0; i < names.size(); i++) {
            Function f = info.functionsNamed(names.get(i)).get(0);
            List<String> params = new ArrayList<>();
            for (Parameter p : info.parameters(f)) {
                params.add(p.type().printableName());
            }
            String ret = info.returnType(f).printableName();
            String signature = ret + (ret.endsWith("*") || ret.endsWith("&") ? "(" : " (")
                    + (params.isEmpty() ? "void" : String.join(", ", params)) + ")";
            assertThat(gdbSpelling(signature)).as(fixture + " " + names.get(i)).isEqualTo(answers.get(i));
        }
    }

    @Test
    void printableNamesOfDerivedTypes() throws Exception {
        DebugInfo lines = DebugInfos.fixture("lines");
        Function parse = lines.functionsNamed("parse").get(0);
        List<Parameter> ps = lines.parameters(parse);
        assertThat(ps.get(0).type().kind()).isEqualTo(DwarfType.Kind.POINTER);
        assertThat(ps.get(0).type().target().kind()).isEqualTo(DwarfType.Kind.CONST);
        assertThat(ps.get(0).type().target().resolved().encoding()).isEqualTo(DwarfType.Encoding.SIGNED_CHAR);
        assertThat(ps.get(1).type().printableName()).isEqualTo("struct point *");
        Function pr = lines.functionsNamed("process_path_request").get(0);
        assertThat(lines.parameters(pr).get(0).type().printableName()).isEqualTo("const struct request *");
        DebugInfo state = DebugInfos.fixture("state");
        Function process = state.functionsNamed("IdleState::process").get(0);
        List<Parameter> sp = state.parameters(process);
        assertThat(sp).extracting(Parameter::name).containsExactly("this", "context", "line");
        assertThat(sp.get(0).type().printableName()).isEqualTo("IdleState * const");
        assertThat(sp.get(1).type().kind()).isEqualTo(DwarfType.Kind.REFERENCE);
        assertThat(sp.get(1).type().printableName()).isEqualTo("ManProcessor &");
        assertThat(process.memberFunction()).isTrue();
        assertThat(process.linkageName()).hasValue("_ZN9IdleState7processER12ManProcessorPKc");
        assertThat(state.functionsNamed("_ZN9IdleState7processER12ManProcessorPKc")).containsExactly(process);
    }

    /** gdb's spelling of gcc's base type names ("long int" is "long"). */
    static String gdbSpelling(String s) {
        return s.replace("long long unsigned int", "unsigned long long").replace("long long int", "long long")
                .replace("long unsigned int", "unsigned long").replace("short unsigned int", "unsigned short")
                .replace("long int", "long").replace("short int", "short");
    }

    /** The values gdb printed, in order: "$1 = 8" gives "8", "type = int" gives "int". */
    static List<String> answers(String output) {
        List<String> out = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("type = ")) {
                out.add(line.substring("type = ".length()).trim());
            } else if (line.matches("^\\$\\d+ = .*")) {
                out.add(line.substring(line.indexOf(" = ") + 3).trim());
            }
        }
        return out;
    }
}
