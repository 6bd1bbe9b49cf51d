package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fleettap.collector.store.Store;
import org.fleettap.collector.store.StoreOptions;
import org.fleettap.proto.v1.ListHostsRequest;
import org.fleettap.proto.v1.QueryServiceGrpc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fleettap collector}: serves until SIGTERM, exit 0; bad flags exit 2 and a bad data directory exit 1. */
class CollectorCommandTest {
    @TempDir
    Path tmp;

    @Test
    void servesUntilSigtermThenExitsZero() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path stdout = tmp.resolve("stdout");
        Path stderr = tmp.resolve("stderr");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "collector", "--insecure", "--listen", "127.0.0.1:0", "--data", tmp.resolve("data").toString())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        try {
            String line = firstLine(stdout, p);
            assertThat(line).as("stderr: %s", Files.readString(stderr)).matches("collector listening on 127\\.0\\.0\\.1:\\d+");
            int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
            assertThat(port).isPositive();
            ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            try {
                assertThat(QueryServiceGrpc.newBlockingStub(ch).listHosts(ListHostsRequest.getDefaultInstance())
                        .getHostsList()).isEmpty();
            } finally {
                ch.shutdownNow();
            }
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("stderr: %s", Files.readString(stderr)).isZero();
            assertThat(Files.readAllLines(stdout)).as("one line on stdout").containsExactly(line);
            assertThat(Files.readString(stderr)).isEqualTo("fleettap: warning: --insecure: plaintext gRPC without "
                    + "authentication; anyone who can reach 127.0.0.1:" + port + " can start sessions on every agent, register as "
                    + "any host and read every result\n");
        } finally {
            p.destroyForcibly();
        }
    }

    /** The first line the process writes to {@code file}, waiting for it while the process runs. */
    private static String firstLine(Path file, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(file) ? Files.readString(file) : "";
            int nl = text.indexOf('\n');
            if (nl >= 0) {
                return text.substring(0, nl);
            }
            if (p.waitFor(20, TimeUnit.MILLISECONDS)) {
                throw new AssertionError("exited with " + p.exitValue() + " before printing a line");
            }
        }
        throw new AssertionError("no line within 60 s");
    }

    /** A CA and certificates, from fleettap certs. */
    private Path certs() {
        Path out = tmp.resolve("certs");
        assertThat(Main.run("certs", "--out", out.toString())).isZero();
        return out;
    }

    private record Run(int exit, String stderr) {}

    private static Run run(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int exit = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> Main.run(args));
            return new Run(exit, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(saved);
        }
    }

    @Test
    void badFlagsAreOneLineAndExitTwo() {
        String data = tmp.resolve("data").toString();
        for (List<String> args : List.of(
                List.of("collector", "--listen", "nonsense", "--data", data),
                List.of("collector", "--listen", "127.0.0.1:99999", "--data", data),
                List.of("collector", "--listen", "::1:7420", "--data", data),
                List.of("collector", "--listen", "127.0.0.1:0"),
                List.of("collector", "--listen", "127.0.0.1:0", "--data", data, "--kafka-topic", "t"),
                List.of("collector", "--listen", "127.0.0.1:0", "--data", data, "--kafka", "k:9092",
                        "--kafka-topic", "no spaces"))) {
            Run r = run(args.toArray(String[]::new));
            assertThat(r.exit()).as("%s: %s", args, r.stderr()).isEqualTo(2);
            assertThat(r.stderr().lines().toList()).as("%s", args).hasSize(1);
        }
        assertThat(run("collector", "--listen", "nonsense", "--data", data).stderr()).isEqualTo(
                "fleettap: --listen nonsense: expected HOST:PORT (see 'fleettap collector --help')\n");
        assertThat(run("collector", "--listen", "127.0.0.1:0", "--data", data, "--kafka-group", "g").stderr())
                .isEqualTo("fleettap: --kafka-group needs --kafka (see 'fleettap collector --help')\n");
        assertThat(Files.exists(tmp.resolve("data"))).as("nothing created").isFalse();
    }

    @Test
    void aDataDirectoryInUseIsOneLineAndExitOne() {
        Path data = tmp.resolve("data");
        try (Store held = Store.open(data, StoreOptions.defaults())) {
            Run r = run("collector", "--tls-dir", certs().resolve("collector").toString(), "--listen", "127.0.0.1:0",
                    "--data", data.toString());
            assertThat(r.exit()).as(r.stderr()).isEqualTo(1);
            assertThat(r.stderr().lines().toList()).hasSize(1);
            assertThat(r.stderr()).startsWith("fleettap: --data " + data + ": opening store at " + held.directory()
                    + ": ");
        }
    }
}
