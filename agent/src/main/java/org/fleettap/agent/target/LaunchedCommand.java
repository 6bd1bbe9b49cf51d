package org.fleettap.agent.target;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.fleettap.agent.internal.sys.Syscalls;

/**
 * A command started for {@code -c}, held at a gate until the probes are attached so that no call between exec and
 * attach is missed. The process is a shell that waits on a FIFO and then execs the command in place, so its pid
 * is the command's pid and per-task perf events opened on it before {@link #release()} follow it through exec.
 */
public final class LaunchedCommand implements AutoCloseable {
    private static final String GATE_SCRIPT = "read _ < \"$0\" || exit 126; exec ";

    private final String commandLine;
    private final Process process;
    private final Path gateDir;
    private final Path gate;
    private boolean released;

    private LaunchedCommand(String commandLine, Process process, Path gateDir, Path gate) {
        this.commandLine = commandLine;
        this.process = process;
        this.gateDir = gateDir;
        this.gate = gate;
    }

    /** Starts {@code commandLine} held at the gate; its stdin, stdout and stderr are fleettap's. */
    public static LaunchedCommand start(String commandLine) throws TargetException {
        checkExecutable(commandLine);
        Path dir = null;
        try {
            dir = Files.createTempDirectory("fleettap-gate");
            Path gate = dir.resolve("gate");
            Syscalls.mkfifo(gate.toString(), 0600);
            ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", GATE_SCRIPT + commandLine, gate.toString())
                    .inheritIO();
            Process p = pb.start();
            return new LaunchedCommand(commandLine, p, dir, gate);
        } catch (IOException e) {
            deleteQuietly(dir);
            throw new TargetException("cannot start '" + commandLine + "': " + e.getMessage(), e);
        }
    }

    /** The first word must name an executable file (or a program on $PATH). */
    static void checkExecutable(String commandLine) throws TargetException {
        String first = commandLine.strip().split("\\s+", 2)[0];
        if (first.startsWith("'") || first.startsWith("\"")) {
            first = first.substring(1, Math.max(1, first.length() - 1));
        }
        if (first.contains("/")) {
            Path p = Paths.get(first);
            if (!Files.exists(p)) {
                throw new TargetException("command not found: " + first);
            }
            if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
                throw new TargetException("not an executable file: " + first);
            }
            return;
        }
        Optional<Path> found = Executables.onPath(first);
        if (found.isPresent() && Files.isExecutable(found.get())) {
            return;
        }
        if (!List.of("exec", "env", "nice").contains(first)) {
            throw new TargetException("command not found: " + first + " (not in $PATH)");
        }
    }

    /** The process id: the shell now, the command after {@link #release()}. */
    public int pid() {
        return (int) process.pid();
    }

    public String commandLine() {
        return commandLine;
    }

    /** Lets the command exec. Call once, after the probes are attached. */
    public void release() throws TargetException {
        if (released) {
            return;
        }
        released = true;
        try (OutputStream out = Files.newOutputStream(gate)) {
            out.write('\n');
        } catch (IOException e) {
            throw new TargetException("cannot release '" + commandLine + "': " + e.getMessage(), e);
        } finally {
            deleteQuietly(gateDir);
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the command to end and returns its exit status. */
    public int waitFor() throws InterruptedException {
        return process.waitFor();
    }

    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        return process.waitFor(timeout, unit);
    }

    public int exitValue() {
        return process.exitValue();
    }

    /** Stops the command if it still runs (SIGTERM, then SIGKILL after a grace period). */
    @Override
    public void close() {
        if (!released) {
            // Opening the FIFO for writing would block if the shell is gone; a non-blocking kill is enough.
            process.destroyForcibly();
            deleteQuietly(gateDir);
        }
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(2, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try {
            Files.deleteIfExists(dir.resolve("gate"));
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // A temp directory left behind is harmless.
        }
    }

}
