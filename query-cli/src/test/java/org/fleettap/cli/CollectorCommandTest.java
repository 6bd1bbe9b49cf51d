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
        try (DaemonProcess p = DaemonProcess.start(tmp, "collector", "collector", "--insecure", "--listen",
                "127.0.0.1:0", "--data", tmp.resolve("data").toString())) {
            String line = p.firstLine();
            assertThat(line).as("stderr: %s", p.stderr()).matches("collector listening on 127\\.0\\.0\\.1:\\d+");
            int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
            assertThat(port).isPositive();
            ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            try {
                assertThat(QueryServiceGrpc.newBlockingStub(ch).listHosts(ListHostsRequest.getDefaultInstance())
                        .getHostsList()).isEmpty();
            } finally {
                ch.shutdownNow();
            }
            assertThat(p.stop()).as("stderr: %s", p.stderr()).isZero();
            assertThat(p.stdout().lines().toList()).as("one line on stdout").containsExactly(line);
            assertThat(p.stderr()).isEqualTo("fleettap: warning: --insecure: plaintext gRPC without "
                    + "authentication; anyone who can reach 127.0.0.1:" + port + " can start sessions on every agent, "
                    + "register as any host and read every result\n");
        }
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
