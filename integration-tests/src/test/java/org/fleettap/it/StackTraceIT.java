package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The talk's state machine (S5): who called ManProcessor::setState, in C++ names as c++filt prints them, taken
 * from the user stack of each hit — with frame pointers (-O0) and without them (-O2 -fomit-frame-pointer).
 */
class StackTraceIT {
    private static final String INPUT = "LS(1)\n\nNAME\n       ls - list\n\nOPTIONS\n       -a, --all\n\n";

    private static List<String> callers(Path dir, String fixture) throws Exception {
        String bin = Fleettap.ROOT.resolve("agent/target/fixtures/" + fixture).toString();
        Path in = dir.resolve("man.txt");
        Files.writeString(in, INPUT);
        Fleettap.Result r = Fleettap.run("trace", "--stack=2", "-c", bin + " < " + in,
                "process(\"" + bin + "\").function(\"ManProcessor::setState\")");
        assertThat(r.stderr()).isEmpty();
        List<String> lines = r.stdout().lines().toList();
        List<String> callers = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(".function(\"ManProcessor::setState\") this=0x")) {
                assertThat(lines.get(i + 1)).contains(" : ManProcessor::setState(ManProcessorState*)+0x0 (");
                String caller = lines.get(i + 2);
                callers.add(caller.substring(caller.indexOf(" : ") + 3, caller.indexOf("+0x")));
            }
        }
        return callers;
    }

    @Test
    void setStateCallersWithFramePointers(@TempDir Path dir) throws Exception {
        assertThat(callers(dir, "state")).containsExactly(
                "IdleState::process(ManProcessor&, char const*)",
                "ChapterState::process(ManProcessor&, char const*)",
                "ParagraphState::process(ManProcessor&, char const*)",
                "ChapterState::process(ManProcessor&, char const*)",
                "ParagraphState::process(ManProcessor&, char const*)");
    }

    @Test
    void setStateCallersWithoutFramePointers(@TempDir Path dir) throws Exception {
        // -O2 inlines ManProcessor::process into main and the states tail-call setState: the return address is in
        // main (as gdb shows it), or in a process() where the call is not a tail call.
        List<String> callers = callers(dir, "state-nofp");
        assertThat(callers).hasSize(5);
        assertThat(callers).allMatch(c -> c.matches("(main|\\w+State::process\\(ManProcessor&, char const\\*\\))"));
    }
}
