package org.fleettap.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.concurrent.locks.LockSupport;

/**
 * A fleettap command (a daemon) in a JVM of its own, as users run it, with its stdout and stderr in files: the
 * tests read what it printed and logged, and stop it with SIGTERM.
 */
final class DaemonProcess implements AutoCloseable {
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private DaemonProcess(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts {@code fleettap ARGS}; its output goes to DIR/NAME.out and DIR/NAME.err. */
    static DaemonProcess start(Path dir, String name, String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new DaemonProcess(p, out, err);
    }

    String stdout() throws IOException {
        return Files.exists(stdout) ? Files.readString(stdout) : "";
    }

    String stderr() throws IOException {
        return Files.exists(stderr) ? Files.readString(stderr) : "";
    }

    /** The first line on stdout, waiting for it while the process runs. */
    String firstLine() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (System.nanoTime() < deadline) {
            String text = stdout();
            int nl = text.indexOf('\n');
            if (nl >= 0) {
                return text.substring(0, nl);
            }
            if (process.waitFor(20, TimeUnit.MILLISECONDS)) {
                throw new AssertionError("exited with " + process.exitValue() + " before printing a line; stderr: "
                        + stderr());
            }
        }
        throw new AssertionError("no line within 60 s; stderr: " + stderr());
    }

    /** Waits until stderr satisfies {@code condition}. */
    void awaitStderr(String what, Predicate<String> condition) throws IOException {
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (!condition.test(stderr())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 60 s: " + what + "; stderr:\n" + stderr());
            }
            LockSupport.parkNanos(20_000_000);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, then the exit status. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("did not exit within 30 s of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
