package org.fleettap.agent.dwarf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SysV x86-64 entry locations: the fixtures' parameters, every ABI class, and gcc's own -O2 locations at entry. */
class ParameterLocationsTest {
    /** Parameters of every ABI class; compiled -O2 so gcc's location lists say where each one is at entry. */
    private static final String ABI_C = """
            struct small { long a; int b; };
            struct pt { double x, y; };
            struct big { long a, b, c; };
            struct mixed { double d; long l; };
            enum color { RED, GREEN };
            volatile long sink;
            volatile double dsink;
            __attribute__((noinline)) long f_double(double x, long a, const char *s) {
                dsink = x; sink = a + (long) s; return a; }
            __attribute__((noinline)) long f_struct(struct pt p, long a) { dsink = p.x + p.y; sink = a; return a; }
            __attribute__((noinline)) long f_small(long a, struct small s, long b) { sink = a + s.a + s.b + b; return b; }
            __attribute__((noinline)) long f_big(struct big b, long a) { sink = b.a + b.b + b.c + a; return a; }
            __attribute__((noinline)) long f_mixed(struct mixed m, long a) { dsink = m.d; sink = m.l + a; return a; }
            __attribute__((noinline)) long f_many(long a1, long a2, long a3, long a4, long a5, long a6, long a7,
                    long a8) { sink = a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8; return a8; }
            __attribute__((noinline)) long f_ld(long double x, long a) { dsink = (double) x; sink = a; return a; }
            __attribute__((noinline)) long f_i128(long a, __int128 v, long b) { sink = a + (long) v + b; return b; }
            __attribute__((noinline)) long f_full(long a, long b, long c, long d, long e, struct small s, long g) {
                sink = a + b + c + d + e + s.a + s.b + g; return g; }
            __attribute__((noinline)) long f_after_big(long a1, long a2, long a3, long a4, long a5, long a6,
                    struct big b, long a7) { sink = a1 + a2 + a3 + a4 + a5 + a6 + b.a + b.c + a7; return a7; }
            __attribute__((noinline)) struct big f_ret_big(long a) { struct big b = {a, a, a}; sink = a; return b; }
            __attribute__((noinline)) double f_ret_double(int a) { sink = a; return a * 1.5; }
            __attribute__((noinline)) int f_enum(enum color c, _Bool b, char ch, unsigned short u, int *p) {
                sink = c + b + ch + u + *p; return c; }
            int main(void) {
                struct pt p = {1, 2}; struct small s = {1, 2}; struct big b = {1, 2, 3}; struct mixed m = {1, 2};
                int x = 3;
                f_double(1.0, 2, "x"); f_struct(p, 3); f_small(1, s, 2); f_big(b, 4); f_mixed(m, 5);
                f_many(1, 2, 3, 4, 5, 6, 7, 8); f_ld(1.0L, 2); f_i128(1, 2, 3); f_full(1, 2, 3, 4, 5, s, 7);
                f_after_big(1, 2, 3, 4, 5, 6, b, 7); f_ret_big(1); f_ret_double(2); f_enum(GREEN, 1, 'c', 7, &x);
                return 0;
            }
            """;

    @TempDir
    static Path dir;
    static Path abi;

    @BeforeAll
    static void compile() throws IOException {
        Path source = dir.resolve("abi.c");
        Files.writeString(source, ABI_C);
        abi = dir.resolve("abi");
        Fixtures.run("gcc", "-g", "-O2", "-o", abi.toString(), source.toString());
    }

    @Test
    void linesParametersAreInRdiRsiRdx() throws Exception {
        DebugInfo info = DebugInfos.fixture("lines");
        assertThat(registers(info, "process_path_request")).containsExactly("req=rdi");
        assertThat(registers(info, "parse")).containsExactly("text=rdi", "out=rsi", "max=rdx");
        assertThat(registers(info, "render")).containsExactly("points=rdi", "n=rsi", "zoom=rdx");
    }

    @Test
    void memberFunctionsTakeThisFirst() throws Exception {
        DebugInfo info = DebugInfos.fixture("state");
        assertThat(registers(info, "ManProcessor::setState")).containsExactly("this=rdi", "next=rsi");
        assertThat(registers(info, "IdleState::process")).containsExactly("this=rdi", "context=rsi", "line=rdx");
        Function setState = info.functionsNamed("ManProcessor::setState").get(0);
        assertThat(setState.memberFunction()).isTrue();
        ReturnValue ret = ParameterLocations.returnValue(info, setState);
        assertThat(ret.isReadable()).isFalse();
        assertThat(ret.reason()).isEqualTo("ManProcessor::setState returns void: there is no $return");
    }

    @Test
    void sharedLibraryFunction() throws Exception {
        DebugInfo info = DebugInfos.fixture("libfixturelib.so");
        assertThat(registers(info, "lib_add")).containsExactly("a=rdi", "b=rsi");
        Function f = info.functionsNamed("lib_add").get(0);
        ReturnValue ret = ParameterLocations.returnValue(info, f);
        assertThat(ret.register()).isEqualTo("rax");
        assertThat(ret.type().printableName()).isEqualTo("long int");
        assertThat(ParameterLocations.atEntry(info, f, "b").map(EntryArgument::register)).hasValue("rsi");
        assertThat(ParameterLocations.atEntry(info, f, "c")).isEmpty();
    }

    @Test
    void everyAbiClass() throws Exception {
        DebugInfo info = DebugInfos.of(abi);
        assertThat(describe(info, "f_double")).containsExactly(
                "parameter 'x' of f_double is double, which the ABI passes in an SSE register: not readable at entry",
                "a=rdi", "s=rsi");
        assertThat(describe(info, "f_struct")).containsExactly("parameter 'p' of f_struct is struct pt, which the ABI "
                + "passes by value in SSE registers: not readable at entry", "a=rdi");
        assertThat(describe(info, "f_small")).containsExactly("a=rdi", "parameter 's' of f_small is struct small, "
                + "which the ABI passes by value in rsi and rdx: not readable at entry", "b=rcx");
        assertThat(describe(info, "f_big")).containsExactly("parameter 'b' of f_big is struct big, which the ABI "
                + "passes by value on the stack: not readable at entry", "a=rdi");
        assertThat(describe(info, "f_mixed")).containsExactly("parameter 'm' of f_mixed is struct mixed, which the "
                + "ABI passes by value in rdi and an SSE register: not readable at entry", "a=rsi");
        assertThat(describe(info, "f_many")).containsExactly("a1=rdi", "a2=rsi", "a3=rdx", "a4=rcx", "a5=r8",
                "a6=r9", "a7=8(%rsp)", "a8=16(%rsp)");
        assertThat(describe(info, "f_ld")).containsExactly("parameter 'x' of f_ld is long double, which the ABI "
                + "passes on the stack (x87 type): not readable at entry", "a=rdi");
        assertThat(describe(info, "f_i128")).containsExactly("a=rdi", "parameter 'v' of f_i128 is __int128, which "
                + "the ABI passes in rsi and rdx: not readable at entry", "b=rcx");
        // Five registers used, the struct needs two: it goes on the stack and g still gets r9.
        assertThat(describe(info, "f_full")).containsExactly("a=rdi", "b=rsi", "c=rdx", "d=rcx", "e=r8",
                "parameter 's' of f_full is struct small, which the ABI passes by value on the stack: not readable "
                + "at entry", "g=r9");
        assertThat(describe(info, "f_after_big")).containsExactly("a1=rdi", "a2=rsi", "a3=rdx", "a4=rcx", "a5=r8",
                "a6=r9", "parameter 'b' of f_after_big is struct big, which the ABI passes by value on the stack: not "
                + "readable at entry", "a7=32(%rsp)");
        // A struct returned in memory: its address is the hidden first argument.
        assertThat(describe(info, "f_ret_big")).containsExactly("a=rsi");
        assertThat(describe(info, "f_enum")).containsExactly("c=rdi", "b=rsi", "ch=rdx", "u=rcx", "p=r8");
    }

    @Test
    void returnValues() throws Exception {
        DebugInfo info = DebugInfos.of(abi);
        assertThat(ret(info, "f_enum")).isEqualTo("rax int");
        assertThat(ret(info, "f_many")).isEqualTo("rax long int");
        assertThat(ret(info, "f_ret_double")).isEqualTo("f_ret_double returns double, which the ABI returns in xmm0: "
                + "not readable as $return");
        assertThat(ret(info, "f_ret_big")).isEqualTo("f_ret_big returns struct big, which the ABI returns in memory: "
                + "not readable as $return");
    }

    /** gcc's own location of each parameter at the entry pc (-O2: a register, or fbreg off the CFA) agrees. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"abi", "lines-O2", "state-O2", "state-nofp", "threads-nofp", "loop-O2"})
    void agreesWithCompilerLocationsAtEntry(String fixture) throws Exception {
        Path path = fixture.equals("abi") ? abi : Fixtures.path(fixture);
        DebugInfo info = DebugInfos.of(path);
        int checked = 0;
        for (Function f : info.functions()) {
            if (f.name().contains(".") || f.linkageName().orElse("").contains(".")) {
                continue;
            }
            for (EntryArgument a : ParameterLocations.atEntry(info, f)) {
                Optional<LocationExpression> at = a.parameter().location().at(f.entryPc());
                if (at.isEmpty()) {
                    continue;
                }
                List<LocationOp> ops = at.get().ops();
                String what = fixture + " " + f.qualifiedName() + " " + a.name();
                if (ops.size() != 1) {
                    continue;
                }
                LocationOp op = ops.get(0);
                int reg = op.opcode() >= LocationOp.DW_OP_reg0 && op.opcode() <= LocationOp.DW_OP_reg31
                        ? op.register() : -1;
                if (reg >= 0 && reg < 16) {
                    assertThat(a.register()).as(what).isEqualTo(LocationExpression.registerName(reg));
                    checked++;
                } else if (reg >= 17 && reg <= 32) {
                    assertThat(a.isReadable()).as(what).isFalse();
                    assertThat(a.reason()).as(what).contains("SSE register");
                    checked++;
                } else if (op.opcode() == LocationOp.DW_OP_fbreg && a.isReadable()) {
                    assertThat(a.stackOffset()).as(what + " (frame base is the CFA, rsp + 8 at entry)")
                            .isEqualTo(op.operand1() + 8);
                    checked++;
                }
            }
        }
        assertThat(checked).as("parameters whose entry location gcc states").isGreaterThan(fixture.equals("abi")
                ? 25 : 1);
    }

    private static String ret(DebugInfo info, String name) throws DwarfFormatException {
        ReturnValue r = ParameterLocations.returnValue(info, info.functionsNamed(name).get(0));
        return r.isReadable() ? r.register() + " " + r.type().printableName() : r.reason();
    }

    private static List<String> registers(DebugInfo info, String function) throws DwarfFormatException {
        return describe(info, function);
    }

    private static List<String> describe(DebugInfo info, String function) throws DwarfFormatException {
        List<Function> fs = info.functionsNamed(function);
        assertThat(fs).as(function).hasSize(1);
        return ParameterLocations.atEntry(info, fs.get(0)).stream().map(a -> switch (a.placement()) {
            case REGISTER -> a.name() + "=" + a.register();
            case STACK -> a.name() + "=" + a.stackOffset() + "(%rsp)";
            case UNREADABLE -> a.reason();
        }).toList();
    }
}
