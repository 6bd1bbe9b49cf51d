package org.fleettap.agent.script;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input of every kind gets a program or diagnostics, never an exception or a stack overflow: every prefix of the
 * talk's scripts, seeded random token mutations of them, and random characters.
 */
class RobustnessTest {

    private static final int MUTATIONS_PER_SCRIPT = 400;

    static Stream<TalkScripts.Example> scripts() {
        return TalkScripts.ACCEPTED.stream();
    }

    /** Compiles and formats; a failed compilation must say why, with a location inside the source. */
    private static void compilesOrExplains(String name, String text) {
        Source source = new Source(name, text);
        Compilation c = Frontend.check(source);
        if (c.succeeded()) {
            assertThat(c.errors()).isEmpty();
        } else {
            assertThat(c.errors()).as("diagnostics for %s", text).isNotEmpty();
            assertThat(c.failedPass()).isNotNull();
            for (Diagnostic d : c.errors()) {
                assertThat(d.location().line()).isBetween(1, text.split("\n", -1).length);
                assertThat(d.location().column()).isPositive();
                assertThat(d.message()).doesNotContain("\n").isNotBlank();
            }
        }
        assertThat(c.format()).isNotNull();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void everyPrefix(TalkScripts.Example example) {
        String text = example.text();
        for (int i = 0; i <= text.length(); i++) {
            compilesOrExplains(example.file(), text.substring(0, i));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void seededTokenMutations(TalkScripts.Example example) {
        String text = example.text();
        List<String> spellings = new ArrayList<>();
        for (Token t : Lexer.lex(example.source()).tokens()) {
            if (t.kind() != Token.Kind.EOF) {
                spellings.add(text.substring(t.start(), t.end()));
            }
        }
        List<String> pool = new ArrayList<>(spellings);
        pool.addAll(List.of("(", ")", "{", "}", "[", "]", ",", ";", "<<<", "@entry", "@count", "$return", "&", "->",
                "foreach", "in", "limit", "delete", "next", "?", ":", "%{", "=~", "\"", "/*", "0x", "@", "$", "."));
        Random random = new Random(example.id().hashCode());
        for (int n = 0; n < MUTATIONS_PER_SCRIPT; n++) {
            List<String> mutated = new ArrayList<>(spellings);
            int edits = 1 + random.nextInt(3);
            for (int e = 0; e < edits && !mutated.isEmpty(); e++) {
                int at = random.nextInt(mutated.size());
                switch (random.nextInt(4)) {
                    case 0 -> mutated.remove(at);
                    case 1 -> mutated.add(at, pool.get(random.nextInt(pool.size())));
                    case 2 -> mutated.set(at, pool.get(random.nextInt(pool.size())));
                    default -> mutated.add(at, mutated.get(random.nextInt(mutated.size())));
                }
            }
            compilesOrExplains(example.file(), String.join(" ", mutated));
        }
    }

    @Test
    void randomCharacters() {
        Random random = new Random(42);
        String alphabet = "abcxyz_019 \n\t\"\\$@#%&*()[]{}<>=!~+-/.,;:?'`\u00e9";
        for (int n = 0; n < 2000; n++) {
            StringBuilder sb = new StringBuilder();
            int length = random.nextInt(60);
            for (int i = 0; i < length; i++) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            compilesOrExplains("r.stp", sb.toString());
            compilesOrExplains("r.stp", "probe begin { " + sb + " }");
        }
    }

    @Test
    void deepNestingOfEveryKindIsADiagnostic() {
        List<String> deep = List.of(
                "probe begin { x = " + "(".repeat(50_000) + "1" + ")".repeat(50_000) + " }",
                "probe begin { x = " + "a[".repeat(50_000) + "1" + "]".repeat(50_000) + " }",
                "probe begin { x = " + "f(".repeat(50_000) + "1" + ")".repeat(50_000) + " }",
                "probe begin { x = " + "1 ? 2 : ".repeat(50_000) + "3 }",
                "probe begin { x = " + "y = ".repeat(50_000) + "3 }",
                "probe begin { x = 1" + " . 1".repeat(50_000) + " }",
                "probe begin { " + "while (1) ".repeat(50_000) + "x = 1 }",
                "probe begin { " + "try { ".repeat(50_000) + "}",
                "probe begin { x = " + "@entry(".repeat(50_000) + "1" + ")".repeat(50_000) + " }");
        for (String text : deep) {
            Compilation c = Frontend.check(new Source("d.stp", text));
            assertThat(c.succeeded()).isFalse();
            assertThat(c.errors()).extracting(Diagnostic::message).contains("nesting too deep (more than 256 levels)");
        }
    }

    @Test
    void deepNestingIsADiagnosticEvenOnACallerWithASmallStack() throws InterruptedException {
        String text = "probe begin { x = " + "a[".repeat(300) + "1" + "]".repeat(300) + " }";
        java.util.concurrent.atomic.AtomicReference<Object> outcome = new java.util.concurrent.atomic.AtomicReference<>();
        Thread small = new Thread(null, () -> {
            try {
                outcome.set(Frontend.check(new Source("d.stp", text)).errors().get(0).message());
            } catch (Throwable t) {
                outcome.set(t);
            }
        }, "small-stack", 128 * 1024);
        small.start();
        small.join();
        assertThat(outcome.get()).isEqualTo("nesting too deep (more than 256 levels)");
    }
}
