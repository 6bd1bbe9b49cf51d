package org.fleettap.agent.demangle;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** GNU c++filt, the oracle: one process demangles a whole batch of names, one per line. */
final class CxxFilt {
    private CxxFilt() {
    }

    /** c++filt's output for each of {@code names} (which must not contain line breaks), with extra options. */
    static List<String> demangle(List<String> names, String... options) {
        List<String> command = new ArrayList<>();
        command.add("c++filt");
        command.addAll(List.of(options));
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            CompletableFuture<Void> feeding = CompletableFuture.runAsync(() -> {
                try (Writer w = new BufferedWriter(
                        new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8))) {
                    for (String name : names) {
                        w.write(name);
                        w.write('\n');
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            feeding.join();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(command + " failed");
            }
            List<String> lines = out.lines().toList();
            if (lines.size() != names.size()) {
                throw new IllegalStateException(command + " printed " + lines.size() + " lines for " + names.size()
                        + " names");
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }
}
