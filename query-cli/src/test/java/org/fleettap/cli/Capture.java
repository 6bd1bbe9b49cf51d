package org.fleettap.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * Captures what commands print to System.out and System.err (and what slf4j-simple logs there) while installed;
 * safe to read while commands run in other threads. Closing puts the previous streams back.
 */
final class Capture implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    static {
        // slf4j-simple is set up (tests: cacheOutputStream) before any capture, so that the logs of the collector
        // and agent running in-process go to the real stderr, never into a command's captured output.
        org.slf4j.LoggerFactory.getILoggerFactory();
    }

    private final PrintStream previousOut = System.out;
    private final PrintStream previousErr = System.err;
    private final Buffer out = new Buffer();
    private final Buffer err = new Buffer();

    private Capture() {
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    static Capture install() {
        return new Capture();
    }

    /** The warning every --insecure command prints first; see {@link #stderr()}. */
    static final String INSECURE_WARNING = "fleettap: warning: --insecure: ";

    /** Runs the fleettap command line in this thread and returns its exit status. */
    static int fleettap(String... args) {
        return Main.run(insecure(args));
    }

    /**
     * {@code args} with --insecure after the command when it talks to a collector (or is a daemon) and chooses
     * neither --tls-dir nor --insecure itself: the tests of other things run plaintext on loopback, as the user
     * must say explicitly. The TLS tests give --tls-dir, and the tests of the choice itself call Main.run.
     */
    static String[] insecure(String... args) {
        java.util.List<String> list = java.util.List.of(args);
        boolean talks = args.length > 0 && (args[0].equals("agent") || args[0].equals("collector")
                || list.contains("--collector"));
        if (!talks || list.contains("--tls-dir") || list.contains("--insecure")) {
            return args;
        }
        java.util.List<String> with = new java.util.ArrayList<>(list);
        with.add(1, "--insecure");
        return with.toArray(new String[0]);
    }

    /** Runs the fleettap command line in a thread of its own; the future holds its exit status. */
    static java.util.concurrent.CompletableFuture<Integer> start(String... args) {
        java.util.concurrent.CompletableFuture<Integer> exit = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                exit.complete(Main.run(insecure(args)));
            } catch (Throwable e) {
                exit.completeExceptionally(e);
            }
        }, "fleettap " + String.join(" ", args));
        t.setDaemon(true);
        t.start();
        return exit;
    }

    String stdout() {
        return out.text();
    }

    /**
     * What was printed to stderr, without the --insecure warning lines: {@link #insecure} adds that flag to the
     * tests of other things, whose stderr is what they check. {@link #stderrWithWarnings()} has everything.
     */
    String stderr() {
        return withoutInsecureWarning(err.text());
    }

    /** Everything printed to stderr. */
    String stderrWithWarnings() {
        return err.text();
    }

    /** Waits until stdout satisfies {@code condition}. */
    void awaitStdout(String what, Predicate<String> condition) {
        await(what, () -> condition.test(stdout()));
    }

    /** Waits until stderr satisfies {@code condition}. */
    void awaitStderr(String what, Predicate<String> condition) {
        await(what, () -> condition.test(stderr()));
    }

    private void await(String what, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + TIMEOUT.toSeconds() + " s: " + what + "\nstdout:\n"
                        + stdout() + "\nstderr:\n" + stderr());
            }
            LockSupport.parkNanos(5_000_000);
        }
    }

    @Override
    public void close() {
        System.setOut(previousOut);
        System.setErr(previousErr);
    }

    private static final class Buffer extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    /** {@code stderr} without the warning lines of --insecure, which {@link #insecure} adds. */
    static String withoutInsecureWarning(String stderr) {
        return stderr.replaceAll("(?m)^" + java.util.regex.Pattern.quote(INSECURE_WARNING) + ".*\n", "");
    }
}
