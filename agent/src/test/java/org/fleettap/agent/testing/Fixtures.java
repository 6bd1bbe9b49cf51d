package org.fleettap.agent.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The fixture programs built by the test build (src/test/c), and running the oracle tools on them. */
public final class Fixtures {
    private Fixtures() {
    }

    /** The built fixture named {@code name} (e.g. "loop", "libfixturelib.so"). */
    public static Path path(String name) {
        String dir = System.getProperty("fleettap.fixtures", "target/fixtures");
        Path p = Paths.get(dir, name).toAbsolutePath();
        if (!Files.exists(p)) {
            throw new IllegalStateException("fixture " + p + " is missing: run the build (mvn generate-test-resources)");
        }
        return p;
    }

    /** Runs a command to completion and returns its standard output; fails on a non-zero exit. */
    public static String run(String... command) {
        return run(List.of(command));
    }

    public static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command + " timed out");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(command + " exited " + p.exitValue() + ": "
                        + new String(err, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }
}
