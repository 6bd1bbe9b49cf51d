package org.fleettap.agent.target;

import java.util.List;

/**
 * Which processes the probes watch: every process that runs the probed code, one existing process (and the threads
 * and children it creates), or a command fleettap starts itself.
 */
public sealed interface Target {

    /** Every process on the host. */
    record AllProcesses() implements Target {
    }

    /** An existing process, {@code -x PID}. */
    record Process(int pid) implements Target {
        public Process {
            if (pid <= 0) {
                throw new IllegalArgumentException("pid must be positive: " + pid);
            }
        }
    }

    /** A command fleettap starts, {@code -c CMD}: a shell command line. */
    record Command(String commandLine) implements Target {
        public Command {
            if (commandLine.isBlank()) {
                throw new IllegalArgumentException("empty command");
            }
        }
    }

    static Target all() {
        return new AllProcesses();
    }

    static Target pid(int pid) {
        return new Process(pid);
    }

    static Target command(String commandLine) {
        return new Command(commandLine);
    }

    /** Convenience for tests: a command from words, quoted for the shell. */
    static Target command(List<String> argv) {
        StringBuilder sb = new StringBuilder();
        for (String w : argv) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append('\'').append(w.replace("'", "'\\''")).append('\'');
        }
        return new Command(sb.toString());
    }
}
