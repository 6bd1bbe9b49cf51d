package org.fleettap.agent.demangle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Truncated, mutated and hostile names: the demangler returns (a result or nothing) without throwing, quickly, with
 * bounded output. The package-private entry point is used so that an exception is not hidden by the public API's
 * last-resort catch.
 */
final class DemanglerRobustnessTest {
    private static final long SEED = 0x5eed_f1ee7L;
    private static final int MUTATIONS = 100_000;
    private static final String ALPHABET = "_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.$";

    private static List<String> samples;

    /** A deterministic sample of a few hundred real mangled names (every k-th, plus the longest). */
    @BeforeAll
    static void sampleRealSymbols() throws Exception {
        List<String> mangled = new ArrayList<>();
        for (String name : DemanglerOracleTest.symbolNames(DemanglerOracleTest.LIBSTDCXX)) {
            if (name.startsWith("_Z")) {
                mangled.add(name);
            }
        }
        for (String name : DemanglerOracleTest.symbolNames(Fixtures.path("state"))) {
            if (name.startsWith("_Z")) {
                mangled.add(name);
            }
        }
        List<String> sorted = mangled.stream().distinct().sorted().toList();
        List<String> chosen = new ArrayList<>();
        int step = Math.max(1, sorted.size() / 300);
        for (int i = 0; i < sorted.size(); i += step) {
            chosen.add(sorted.get(i));
        }
        sorted.stream().sorted((a, b) -> b.length() - a.length()).limit(30).forEach(chosen::add);
        samples = List.copyOf(chosen);
        assertThat(samples).hasSizeGreaterThan(300);
    }

    private static void demangleBothWays(String input) {
        try {
            for (boolean params : new boolean[] {true, false}) {
                String out = Demangler.demangleOrNull(input, params);
                if (out != null) {
                    assertThat(out.length()).isLessThanOrEqualTo(Printer.MAX_OUTPUT + 1);
                }
            }
        } catch (RuntimeException | StackOverflowError e) {
            throw new AssertionError("demangling " + input + " threw", e);
        }
    }

    @Test
    void everyPrefixOfRealSymbols() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int prefixes = 0;
            for (String symbol : samples) {
                for (int end = 0; end <= symbol.length(); end++) {
                    demangleBothWays(symbol.substring(0, end));
                    prefixes++;
                }
            }
            assertThat(prefixes).isGreaterThan(10_000);
        });
    }

    @Test
    void seededRandomMutations() {
        Random random = new Random(SEED);
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < MUTATIONS; i++) {
                demangleBothWays(mutate(samples.get(random.nextInt(samples.size())), random));
            }
        });
    }

    /** One to three random edits: replace, insert or delete a character, or duplicate or drop a slice. */
    private static String mutate(String symbol, Random random) {
        StringBuilder b = new StringBuilder(symbol);
        int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits; e++) {
            int at = b.length() == 0 ? 0 : random.nextInt(b.length());
            char c = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
            switch (random.nextInt(5)) {
                case 0:
                    if (b.length() > 0) {
                        b.setCharAt(at, c);
                    }
                    break;
                case 1:
                    b.insert(at, c);
                    break;
                case 2:
                    if (b.length() > 0) {
                        b.deleteCharAt(at);
                    }
                    break;
                case 3: {
                    int end = Math.min(b.length(), at + 1 + random.nextInt(12));
                    b.insert(end, b.substring(at, end));
                    break;
                }
                default: {
                    int end = Math.min(b.length(), at + 1 + random.nextInt(12));
                    b.delete(at, end);
                    break;
                }
            }
        }
        return b.toString();
    }

    static Stream<Arguments> hostile() {
        return Stream.of(
                Arguments.of("deep pointers", "_Z1f" + "P".repeat(100_000) + "i"),
                Arguments.of("deep function types", "_Z1f" + "PF".repeat(20_000) + "v" + "E".repeat(20_000)),
                Arguments.of("deep template arguments", "_Z1f" + "I1A".repeat(20_000) + "E".repeat(20_000) + "v"),
                Arguments.of("deep local names", "_Z" + "Z1f".repeat(20_000) + "vE1x".repeat(20_000)),
                Arguments.of("deep expressions", "_Z1fIXpl" + "plLi1E".repeat(20_000) + "Li1EEEvv"),
                Arguments.of("substitutions doubling 40 times", doublingSubstitutions(40)),
                Arguments.of("conversion operator backtracking", "_ZN1A" + "cvT_I".repeat(5_000) + "EEv"),
                Arguments.of("template parameter naming itself", "_Z1fIT_EvT_"),
                Arguments.of("pack of itself", "_Z1fIJDpT_EEvDpT_"),
                Arguments.of("huge substitution index", "_Z1fiSZZZZZZZZZZZZZZZZZZZZZZZZZ_"),
                Arguments.of("huge number", "_Z99999999999999999999999f"),
                Arguments.of("long clone chain", "_Z1fv" + ".constprop.0".repeat(10_000)),
                Arguments.of("too long", "_Z1fv" + "i".repeat(Demangler.MAX_SYMBOL_LENGTH)),
                Arguments.of("non-ASCII", "_Z3\u00e9\u00e9v\uffff\ud800"));
    }

    /** {@code f(X, Y<X, X>, Y<Y<X, X>, Y<X, X>>, ...)}: each parameter refers twice to the previous one. */
    private static String doublingSubstitutions(int levels) {
        StringBuilder b = new StringBuilder("_Z1f1X");
        for (int k = 1; k <= levels; k++) {
            String previous = seqId(k == 1 ? 0 : 2 * (k - 1));
            b.append("1YI").append(previous).append(previous).append('E');
        }
        return b.toString();
    }

    private static String seqId(int index) {
        return index == 0 ? "S_" : "S" + Integer.toString(index - 1, 36).toUpperCase() + "_";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void hostileInputFailsFast(String what, String symbol) {
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> demangleBothWays(symbol));
        assertThat(Demangler.demangle(symbol)).satisfiesAnyOf(
                r -> assertThat(r).isEmpty(),
                r -> assertThat(r.orElseThrow()).hasSizeLessThanOrEqualTo(Printer.MAX_OUTPUT + 1));
    }

    @Test
    void doublingIsRealAtSmallSizes() {
        // The bomb is a valid name: small instances demangle, the large one is cut off by the output bound.
        assertThat(Demangler.demangle(doublingSubstitutions(2))).contains("f(X, Y<X, X>, Y<Y<X, X>, Y<X, X> >)");
        assertThat(Demangler.demangle(doublingSubstitutions(40))).isEmpty();
    }
}
