package org.fleettap.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the fleettap jar as a user would, from the repository root, and captures what it prints. */
final class Fleettap {
    static final Path ROOT = Paths.get(System.getProperty("fleettap.root", "..")).toAbsolutePath().normalize();
    static final Path JAR = Paths.get(System.getProperty("fleettap.jar", "../query-cli/target/fleettap.jar"))
            .toAbsolutePath().normalize();

    private Fleettap() {
    }

    /** What one run printed and how it ended. */
    record Result(int exit, String stdout, String stderr) {
        List<String> stderrLines() {
            return stderr.isEmpty() ? List.of() : List.of(stderr.split("\n"));
        }
    }

    /** The warning every --insecure command prints first. */
    static final String INSECURE_WARNING = "fleettap: warning: --insecure: plaintext gRPC without authentication; "
            + "anyone who can reach ";

    /**
     * {@code args} with --insecure after the command when it talks to a collector (or is a daemon) and chooses
     * neither --tls-dir nor --insecure itself: these tests run the fleet in plaintext on loopback and in network
     * namespaces, which users must ask for explicitly (the TLS tests are in query-cli).
     */
    static List<String> insecure(List<String> args) {
        boolean talks = !args.isEmpty() && (args.get(0).equals("agent") || args.get(0).equals("collector")
                || args.contains("--collector"));
        if (!talks || args.contains("--tls-dir") || args.contains("--insecure")) {
            return args;
        }
        List<String> with = new ArrayList<>(args);
        with.add(1, "--insecure");
        return with;
    }

    /** {@code stderr} without the --insecure warning line that {@link #insecure} causes. */
    static String withoutInsecureWarning(String stderr) {
        return stderr.replaceAll("(?m)^" + java.util.regex.Pattern.quote(INSECURE_WARNING) + ".*\n", "");
    }

    /** Starts fleettap without waiting; stdout and stderr go to the given files. */
    static Process start(java.io.File stdout, java.io.File stderr, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-jar");
        cmd.add(JAR.toString());
        cmd.addAll(insecure(List.of(args)));
        return new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectOutput(stdout).redirectError(stderr)
                .start();
    }

    static Result run(String... args) {
        return runAs(List.of(), args);
    }

    /** Runs with a command prefix (e.g. setpriv to drop privileges). */
    static Result runAs(List<String> prefix, String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-jar");
        cmd.add(JAR.toString());
        cmd.addAll(insecure(List.of(args)));
        try {
            Process p = new ProcessBuilder(cmd).directory(ROOT.toFile()).start();
            p.getOutputStream().close();
            var out = p.getInputStream();
            var err = p.getErrorStream();
            byte[][] bufs = new byte[2][];
            Thread t = new Thread(() -> {
                try {
                    bufs[1] = err.readAllBytes();
                } catch (IOException e) {
                    bufs[1] = new byte[0];
                }
            });
            t.start();
            bufs[0] = out.readAllBytes();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("fleettap " + List.of(args) + " did not finish in 300 s");
            }
            t.join();
            return new Result(p.exitValue(), new String(bufs[0], StandardCharsets.UTF_8),
                    new String(bufs[1], StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A file's text, or "" while it does not exist yet. */
    static String read(java.io.File f) {
        try {
            return java.nio.file.Files.readString(f.toPath());
        } catch (IOException e) {
            return "";
        }
    }

    /** Polls {@code condition} every 20 ms for up to 60 s; fails naming {@code what}. */
    static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        waitFor(condition, what, java.time.Duration.ofSeconds(60));
    }

    /** Polls {@code condition} every 20 ms for up to {@code limit}; fails naming {@code what}. */
    static void waitFor(java.util.function.BooleanSupplier condition, String what, java.time.Duration limit)
            throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
        // In the test's output: where a slow machine spends a run's time.
        System.out.printf("waited %d ms for %s%n", (System.nanoTime() - start) / 1_000_000, what);
    }
}
