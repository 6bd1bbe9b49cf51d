package org.fleettap.agent.demangle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.fleettap.agent.testing.Fixtures;

/**
 * Fuzzes the Itanium demangler with random names and mutations of the real mangled names of the C++ fixtures
 * (their symbol tables, as {@code nm} lists them): it returns a name or nothing, never throws or overflows the
 * stack, and its output stays bounded. The package-private entry point is used so that an exception is not hidden
 * by the public API's last-resort catch. Tries: {@code -Dfuzz.tries} (docs/fuzzing.md).
 */
final class DemanglerFuzzTest {
    private static final String ALPHABET = "_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.$";
    /** Mutations tried per jqwik try: the demangler is fast, one name per try would test little. */
    private static final int NAMES_PER_TRY = 50;
    private static final List<Path> BINARIES = List.of(Fixtures.path("state"), Fixtures.path("state-O2"),
            Fixtures.path("state-clang"));
    private static final List<String> CORPUS = readCorpus();

    private static List<String> readCorpus() {
        List<String> out = new ArrayList<>();
        try {
            for (Path binary : BINARIES) {
                DemanglerOracleTest.symbolNames(binary).stream().filter(n -> n.startsWith("_Z")).forEach(out::add);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the C++ fixtures' symbols", e);
        }
        return out.stream().distinct().toList();
    }

    /** One edit of a name; positions modulo its length. */
    record Edit(int kind, int at, int length, char c) {
        String apply(String s) {
            if (s.isEmpty()) {
                return String.valueOf(c);
            }
            int i = at % s.length();
            int j = Math.min(s.length(), i + length);
            return switch (kind) {
                case 0 -> s.substring(0, i) + c + s.substring(i + 1);
                case 1 -> s.substring(0, i) + c + s.substring(i);
                case 2 -> s.substring(0, i) + s.substring(j);
                case 3 -> s.substring(0, j) + s.substring(i, j) + s.substring(j);
                default -> s.substring(0, i);
            };
        }
    }

    private static void demangleBothWays(String input) {
        try {
            for (boolean params : new boolean[] {true, false}) {
                String out = Demangler.demangleOrNull(input, params);
                if (out != null) {
                    assertThat(out.length()).as(input).isLessThanOrEqualTo(Printer.MAX_OUTPUT + 1);
                    assertThat(out).as(input).isNotEmpty();
                }
            }
        } catch (RuntimeException | StackOverflowError e) {
            throw new AssertionError("demangling " + input + " threw", e);
        }
    }

    @Property
    void mutatedRealNames(@ForAll("mutants") List<String> names) {
        names.forEach(DemanglerFuzzTest::demangleBothWays);
    }

    @Property
    void randomNames(@ForAll("randoms") List<String> names) {
        names.forEach(DemanglerFuzzTest::demangleBothWays);
    }

    /** The unmutated corpus demangles exactly as c++filt prints it (c++filt echoes what it cannot demangle). */
    @Example
    void corpusAgreesWithCxxfilt() {
        List<String> expected = CxxFilt.demangle(CORPUS);
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < CORPUS.size(); i++) {
            Optional<String> ours = Demangler.demangle(CORPUS.get(i));
            if (!ours.orElse(CORPUS.get(i)).equals(expected.get(i))) {
                mismatches.add(CORPUS.get(i) + " -> " + ours + " vs " + expected.get(i));
            }
        }
        assertThat(mismatches).isEmpty();
        assertThat(CORPUS).hasSizeGreaterThan(50);
    }

    @Provide
    Arbitrary<List<String>> mutants() {
        Arbitrary<Edit> edit = Combinators.combine(Arbitraries.integers().between(0, 4),
                Arbitraries.integers().greaterOrEqual(0), Arbitraries.integers().between(1, 12),
                Arbitraries.of(chars())).as(Edit::new);
        Arbitrary<String> mutant = Combinators.combine(Arbitraries.of(CORPUS), edit.list().ofMinSize(1).ofMaxSize(4))
                .as((name, edits) -> {
                    String s = name;
                    for (Edit e : edits) {
                        s = e.apply(s);
                    }
                    return s;
                });
        return mutant.list().ofSize(NAMES_PER_TRY);
    }

    @Provide
    Arbitrary<List<String>> randoms() {
        Arbitrary<String> body = Arbitraries.strings().withChars(ALPHABET).ofMaxLength(80);
        return Arbitraries.oneOf(body.map(b -> "_Z" + b), body.map(b -> "_ZN" + b), body).list()
                .ofSize(NAMES_PER_TRY);
    }

    private static List<Character> chars() {
        return ALPHABET.chars().mapToObj(c -> (char) c).toList();
    }
}
