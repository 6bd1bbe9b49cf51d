package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code fleettap run}: the talk's scripts as a user runs them. */
class RunCommandIT {

    @Test
    void theTalksFirstExample() {
        Fleettap.Result r = Fleettap.run("run", "examples/loop.stp", "-c", "examples/loop");
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdout()).isEqualTo("10000 vs 10000\n");
        assertThat(r.exit()).isZero();
    }

    @Test
    void guruModeIsRefusedWithTheLocationOfTheEmbeddedC() {
        Fleettap.Result r = Fleettap.run("run", "examples/guru.stp");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).startsWith("examples/guru.stp:3:")
                .contains("error: embedded C is refused: no script may write to a traced process");
        Fleettap.Result g = Fleettap.run("run", "-g", "-e", "probe begin { exit() }");
        assertThat(g.exit()).isEqualTo(1);
        assertThat(g.stderr()).isEqualTo("fleettap: -g (guru mode) is refused: no script may write to a traced "
                + "process or load code into the kernel\n");
    }

    @Test
    void syntaxErrorsNameFileLineAndColumnWithACaret() {
        Fleettap.Result r = Fleettap.run("run", "-e", "probe begin { printf(\"%d\\n\", 1 + ) }");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        String[] lines = r.stderr().split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).startsWith("<input>:1:").contains(": error: ");
        assertThat(lines[1]).isEqualTo("probe begin { printf(\"%d\\n\", 1 + ) }");
        assertThat(lines[2].trim()).isEqualTo("^");
    }

    /** S5 + S6: who called setState (C++ names as the talk shows them after c++filt) and the input lines. */
    @Test
    void theStateMachine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path man = dir.resolve("man.txt");
        java.nio.file.Files.writeString(man, "LS(1)\n\nNAME\n       ls - list\n\nOPTIONS\n       -a, --all\n\n");
        Fleettap.Result r = Fleettap.run("run", "examples/state.stp", "-c", "examples/man_state < " + man);
        assertThat(r.stderr()).isEmpty();
        String p = "(ManProcessor&, char const*)";
        assertThat(r.stdout()).isEqualTo(". LS(1)\n| IdleState::process" + p + "\n. \n. NAME\n"
                + "| ChapterState::process" + p + "\n.        ls - list\n. \n| ParagraphState::process" + p + "\n"
                + ". OPTIONS\n| ChapterState::process" + p + "\n.        -a, --all\n. \n"
                + "| ParagraphState::process" + p + "\n");
    }

    /** S8: every lock initialised by pthread_mutex_init, named by its init site, with a stap histogram. */
    @Test
    void lockContentionByInitSite() {
        Fleettap.Result r = Fleettap.run("run", "examples/futex.stp", "-c", "examples/futex 10");
        assertThat(r.stderr()).isEmpty();
        java.util.List<String> lines = r.stdout().lines().toList();
        java.util.regex.Pattern head = java.util.regex.Pattern.compile(
                "futex\\.c:(\\d+)\\[([0-9a-f]+)\\] lock contended (\\d+) times, (\\d+) avg us");
        java.util.List<String> sites = new java.util.ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            java.util.regex.Matcher m = head.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            sites.add(m.group(1));
            long count = Long.parseLong(m.group(3));
            assertThat(count).isPositive();
            assertThat(lines.get(i + 1)).isEqualTo("value |-------------------------------------------------- count");
            long sum = 0;
            int k = i + 2;
            for (; k < lines.size() && !lines.get(k).isEmpty(); k++) {
                // a bucket row, or stap's "~" line for an elided run of empty rows
                assertThat(lines.get(k)).matches(" *\\d+ \\|@* +\\d+| *~");
                if (!lines.get(k).trim().equals("~")) {
                    sum += Long.parseLong(lines.get(k).substring(lines.get(k).lastIndexOf(' ') + 1));
                }
            }
            // The histogram's rows add up to the lock's contention count.
            assertThat(sum).as(lines.get(i)).isEqualTo(count);
        }
        // examples/futex.c initialises its three mutexes at lines 28, 29 and 30; the static one is not listed.
        assertThat(sites).containsExactly("28", "29", "30");
    }
}
