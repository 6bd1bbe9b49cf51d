package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.fleettap.proto.v1.ListHostsRequest;
import org.fleettap.proto.v1.ListHostsResponse;
import org.fleettap.proto.v1.QueryServiceGrpc;
import org.fleettap.security.TlsDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * --tls-dir or --insecure must be chosen by every command that talks to a collector, and by the daemons: neither
 * and both are exit status 2 with one line; --insecure warns once; a bad TLS directory names its file; the user's
 * token travels on every call as {@code authorization: Bearer TOKEN}, from --token-file, else FLEETTAP_TOKEN, else
 * TLS-DIR/token.
 */
@Timeout(120)
class TlsFlagsTest {
    /** Nothing listens here. */
    private static final String NOWHERE = "127.0.0.1:1";

    @TempDir
    Path dir;

    private record Result(int exit, String stdout, String stderr) {}

    private static Result fleettap(Map<String, String> env, String... args) {
        try (Capture c = Capture.install()) {
            int exit = Main.run(env, args);
            return new Result(exit, c.stdout(), c.stderrWithWarnings());
        }
    }

    private static Result fleettap(String... args) {
        return fleettap(Map.of(), args);
    }

    private Path certs() {
        Path out = dir.resolve("certs");
        assertThat(fleettap("certs", "--out", out.toString()).exit()).isZero();
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"collector --listen 127.0.0.1:0 --data DIR/data", "agent --collector " + NOWHERE
            + " --spool DIR/spool --state DIR/state", "hosts --collector " + NOWHERE, "sessions --collector " + NOWHERE,
        "query --collector " + NOWHERE + " --session s x", "stop --collector " + NOWHERE + " s",
        "run --collector " + NOWHERE + " -e probe_begin", "latency --collector " + NOWHERE + " --process p --function f",
        "profile --collector " + NOWHERE, "locks --collector " + NOWHERE + " --process p"})
    void neitherFlagIsExitTwoWithOneLine(String line) {
        String[] args = argv(line);
        String command = args[0];
        assertThat(fleettap(args)).isEqualTo(new Result(2, "", "fleettap: " + command
                + ": give --tls-dir DIR (see 'fleettap certs') or --insecure\n"));
        String[] both = with(args, "--insecure", "--tls-dir", dir.toString());
        assertThat(fleettap(both)).isEqualTo(new Result(2, "", "fleettap: " + command
                + ": --tls-dir and --insecure cannot be used together\n"));
    }

    /** {@code line} split at blanks, DIR replaced, and the -e script kept whole. */
    private String[] argv(String line) {
        String[] parts = line.replace("DIR", dir.toString()).split(" ");
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].equals("probe_begin")) {
                parts[i] = "probe begin { exit() }";
            }
        }
        return parts;
    }

    private static String[] with(String[] args, String... more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }

    @Test
    void theDaemonsTakeTheChoiceFromTheirEnvironmentToo() {
        String[] collector = {"collector", "--listen", "127.0.0.1:0", "--data", dir.resolve("data").toString()};
        assertThat(fleettap(Map.of("FLEETTAP_INSECURE", "true", "FLEETTAP_TLS_DIR", dir.toString()), collector))
                .isEqualTo(new Result(2, "", "fleettap: collector: --tls-dir and --insecure cannot be used together\n"));
        assertThat(fleettap(Map.of("FLEETTAP_TLS_DIR", dir.resolve("nosuch").toString()), collector))
                .isEqualTo(new Result(2, "", "fleettap: --tls-dir: " + dir.resolve("nosuch") + ": no such directory "
                        + "(expected ca.crt, tls.crt and tls.key)\n"));
    }

    @Test
    void insecureWarnsOnceAndAClientSaysWhatItCouldNotReach() {
        Result r = fleettap("hosts", "--collector", NOWHERE, "--insecure");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stderr()).isEqualTo("fleettap: warning: --insecure: plaintext gRPC without authentication; "
                + "anyone who can reach " + NOWHERE + " can start sessions on its agents and read what they record\n"
                + "fleettap: cannot reach the collector at " + NOWHERE + " (Connection refused)\n");
    }

    @Test
    void localRunsAndStoresNeedNeitherAndRefuseThem() {
        assertThat(fleettap("sessions", "--data", dir.resolve("none").toString(), "--insecure")).isEqualTo(
                new Result(2, "", "fleettap: sessions: --insecure needs --collector (local runs and stores need "
                        + "neither --tls-dir nor --insecure)\n"));
        assertThat(fleettap("run", "--tls-dir", dir.toString(), "-e", "probe begin { exit() }")).isEqualTo(
                new Result(2, "", "fleettap: run: --tls-dir needs --collector (local runs and stores need neither "
                        + "--tls-dir nor --insecure)\n"));
    }

    @Test
    void aBadTlsDirectoryNamesTheFile() throws Exception {
        Path certs = certs();
        Path broken = Files.createDirectories(dir.resolve("broken"));
        Files.copy(certs.resolve("ca.crt"), broken.resolve("ca.crt"));
        Files.copy(certs.resolve("agent/tls.crt"), broken.resolve("tls.crt"));
        assertThat(fleettap("hosts", "--collector", NOWHERE, "--tls-dir", broken.toString())).isEqualTo(
                new Result(2, "", "fleettap: --tls-dir: " + broken.resolve("tls.key") + ": no such file\n"));
        // Another identity's key.
        Files.copy(certs.resolve("user-admin/tls.key"), broken.resolve("tls.key"));
        assertThat(fleettap("hosts", "--collector", NOWHERE, "--tls-dir", broken.toString())).isEqualTo(
                new Result(2, "", "fleettap: --tls-dir: " + broken.resolve("tls.key") + ": not the key of "
                        + broken.resolve("tls.crt") + " (CN=*,OU=agent,O=fleettap)\n"));
        Files.writeString(broken.resolve("ca.crt"), "-----BEGIN CERTIFICATE-----\nnot base64!\n"
                + "-----END CERTIFICATE-----\n");
        assertThat(fleettap("hosts", "--collector", NOWHERE, "--tls-dir", broken.toString())).isEqualTo(
                new Result(2, "", "fleettap: --tls-dir: " + broken.resolve("ca.crt") + ": the CERTIFICATE block of "
                        + "line 1 is not base64\n"));
    }

    @Test
    void theTokenGoesOnEveryCallFromTheFileTheEnvironmentOrTheDirectory() throws Exception {
        Path certs = certs();
        List<String> seen = new CopyOnWriteArrayList<>();
        Metadata.Key<String> authorization = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
        ServerInterceptor record = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                seen.add(String.valueOf(headers.get(authorization)));
                return Contexts.interceptCall(io.grpc.Context.current(), call, headers, next);
            }
        };
        QueryServiceGrpc.QueryServiceImplBase query = new QueryServiceGrpc.QueryServiceImplBase() {
            @Override
            public void listHosts(ListHostsRequest request, StreamObserver<ListHostsResponse> response) {
                response.onNext(ListHostsResponse.getDefaultInstance());
                response.onCompleted();
            }
        };
        Server server = Grpc.newServerBuilderForPort(0, TlsDir.load(certs.resolve("collector")).serverCredentials())
                .addService(ServerInterceptors.intercept(query, record)).build().start();
        try {
            String address = "localhost:" + server.getPort();
            String user = certs.resolve("user-admin").toString();
            String fromDir = Files.readString(certs.resolve("user-admin/token")).strip();
            Path file = Files.writeString(dir.resolve("token"), "from-file\n");

            assertThat(fleettap("hosts", "--collector", address, "--tls-dir", user).exit()).isZero();
            assertThat(fleettap(Map.of("FLEETTAP_TOKEN", "from-env"), "hosts", "--collector", address, "--tls-dir",
                    user).exit()).isZero();
            assertThat(fleettap(Map.of("FLEETTAP_TOKEN", "from-env"), "hosts", "--collector", address, "--tls-dir",
                    user, "--token-file", file.toString()).exit()).isZero();
            // An agent's directory holds no token: none is sent.
            assertThat(fleettap("hosts", "--collector", address, "--tls-dir", certs.resolve("agent").toString())
                    .exit()).isZero();
            assertThat(seen).containsExactly("Bearer " + fromDir, "Bearer from-env", "Bearer from-file", "null");
        } finally {
            server.shutdownNow();
            server.awaitTermination(10, TimeUnit.SECONDS);
        }
        assertThat(fleettap("hosts", "--collector", NOWHERE, "--tls-dir", certs.resolve("user-admin").toString(),
                "--token-file", dir.resolve("nosuch").toString())).isEqualTo(new Result(2, "",
                "fleettap: --token-file " + dir.resolve("nosuch") + ": no such file\n"));
    }
}
