package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.fleettap.collector.Collector;
import org.fleettap.collector.CollectorConfig;
import org.fleettap.collector.auth.Tokens;
import org.fleettap.collector.store.StoreOptions;
import org.fleettap.proto.v1.Ack;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.IngestServiceGrpc;
import org.fleettap.proto.v1.SessionServiceGrpc;
import org.fleettap.proto.v1.StartSessionRequest;
import org.fleettap.proto.v1.StartSessionResponse;
import org.fleettap.proto.v1.StopSessionRequest;
import org.fleettap.proto.v1.TargetSelector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fleettap audit}, {@code fleettap stats} and {@code fleettap collector --tokens} against a real collector on
 * loopback (insecure: this branch's CLI sends no certificates or tokens).
 */
@Timeout(120)
class AccessCommandsTest {
    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    private static final String SCRIPT = "probe begin { exit() }";

    @TempDir
    Path tmp;
    private Collector collector;
    private ManagedChannel channel;

    @AfterEach
    void close() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (collector != null) {
            collector.close();
        }
    }

    private record Run(int exit, String stdout, String stderr) {
    }

    private static Run fleettap(String... args) {
        try (Capture c = Capture.install()) {
            int exit = Capture.fleettap(args);
            return new Run(exit, c.stdout(), c.stderr());
        }
    }

    private String start() throws Exception {
        collector = new Collector(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("data"))
                .withStore(StoreOptions.defaults().withClock(Clock.fixed(T0, ZoneOffset.UTC)))).start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", collector.port()).usePlaintext().build();
        return "127.0.0.1:" + collector.port();
    }

    @Test
    void auditListsWhoStartedAndStoppedWhichScript() throws Exception {
        String address = start();
        StartSessionResponse s = SessionServiceGrpc.newBlockingStub(channel).startSession(StartSessionRequest
                .newBuilder().setScriptName("a.stp").setScriptSource(SCRIPT)
                .setTarget(TargetSelector.newBuilder().addHostIds("h1")).build());
        SessionServiceGrpc.newBlockingStub(channel).stopSession(StopSessionRequest.newBuilder()
                .setSessionId(s.getSessionId()).build());
        String sha = Tokens.sha256(SCRIPT);
        String id = s.getSessionId();
        Run table = fleettap("audit", "--collector", address);
        assertThat(table.exit()).as(table.stderr()).isZero();
        String pad = " ".repeat(id.length() - "SESSION".length());
        assertThat(table.stdout()).isEqualTo(""
                + "TIME                  USER                  ROLE   ACTION  SESSION" + pad
                + "  SCRIPT  SHA-256       HOSTS    OUTCOME\n"
                + "2024-05-01T12:00:00Z  anonymous (insecure)  admin  start   " + id + "  a.stp   "
                + sha.substring(0, 12) + "  host:h1  started\n"
                + "2024-05-01T12:00:00Z  anonymous (insecure)  admin  stop    " + id + "  a.stp   "
                + sha.substring(0, 12) + "  host:h1  stopped\n");
        Run csv = fleettap("audit", "--collector", address, "-o", "csv");
        assertThat(csv.stdout().lines().toList()).containsExactly(
                "TIME,USER,ROLE,ACTION,SESSION,SCRIPT,SHA-256,HOSTS,OUTCOME",
                "2024-05-01T12:00:00Z,anonymous (insecure),admin,start," + id + ",a.stp," + sha + ",host:h1,started",
                "2024-05-01T12:00:00Z,anonymous (insecure),admin,stop," + id + ",a.stp," + sha + ",host:h1,stopped");
        // The collector's clock says 2024: nothing in the last hour of the real clock.
        Run recent = fleettap("audit", "--collector", address, "--since", "1h", "-o", "csv");
        assertThat(recent.stdout().lines().toList()).containsExactly(
                "TIME,USER,ROLE,ACTION,SESSION,SCRIPT,SHA-256,HOSTS,OUTCOME");
        Run one = fleettap("audit", "--collector", address, "--limit", "1", "-o", "json");
        assertThat(one.stdout()).contains("\"user\": \"anonymous\"", "\"script_sha256\": \"" + sha + "\"",
                "\"truncated\": true", "\"insecure\": true").doesNotContain("AUDIT_ACTION_STOP_SESSION");
        assertThat(one.stderr()).isEqualTo("fleettap: the first 1 entries; raise --limit or narrow --since for the "
                + "rest\n");

        Run sessions = fleettap("sessions", "--collector", address, "--all");
        assertThat(sessions.stdout().lines().toList().get(1)).contains("  anonymous  ");
        Run local = fleettap("audit", "--data", tmp.resolve("nothing").toString());
        assertThat(local.exit()).isEqualTo(1);
        assertThat(local.stderr()).isEqualTo("fleettap: audit: give --collector HOST:PORT (only a collector keeps an "
                + "audit log)\n");
    }

    @Test
    void statsCountsIngestByReason() throws Exception {
        String address = start();
        LinkedBlockingQueue<Ack> acks = new LinkedBlockingQueue<>();
        StreamObserver<Batch> batches = IngestServiceGrpc.newStub(channel).ingest(new StreamObserver<>() {
            @Override
            public void onNext(Ack a) {
                acks.add(a);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        batches.onNext(Batch.newBuilder().setHostId("h1").setSessionId("s").setSequence(1).build());
        batches.onNext(Batch.newBuilder().setHostId("h1").setSessionId("s").setSequence(0).build()); // invalid
        List<AckStatus> statuses = List.of(acks.poll(30, TimeUnit.SECONDS).getStatus(),
                acks.poll(30, TimeUnit.SECONDS).getStatus());
        batches.onCompleted();
        assertThat(statuses).containsExactly(AckStatus.ACK_STATUS_APPLIED, AckStatus.ACK_STATUS_REJECTED);

        Run r = fleettap("stats", "--collector", address);
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo(""
                + "SOURCE        COUNTER        COUNT\n"
                + "grpc ingest   applied            1\n"
                + "grpc ingest   duplicates         0\n"
                + "grpc ingest   malformed          0\n"
                + "grpc ingest   oversized          0\n"
                + "grpc ingest   invalid            1\n"
                + "grpc ingest   forbidden          0\n"
                + "grpc ingest   failed             0\n"
                + "kafka ingest  records            0\n"
                + "kafka ingest  applied            0\n"
                + "kafka ingest  duplicates         0\n"
                + "kafka ingest  rejected           0\n"
                + "kafka ingest  malformed          0\n"
                + "kafka ingest  oversized          0\n"
                + "kafka ingest  failed writes      0\n");
        Run json = fleettap("stats", "--collector", address, "-o", "json");
        assertThat(json.stdout()).contains("\"applied\": \"1\"", "\"invalid\": \"1\"", "\"refusals\": []");
    }

    @Test
    void aBadTokensFileIsOneLineWithWhereAndExitTwo() throws Exception {
        Path file = tmp.resolve("tokens.yaml");
        Files.writeString(file, "users:\n  - name: a\n    role: root\n    token_sha256: " + "0".repeat(64) + "\n");
        Run r = fleettap("collector", "--listen", "127.0.0.1:0", "--data", tmp.resolve("data").toString(), "--tokens",
                file.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).isEqualTo("fleettap: --tokens: " + file + ":3:11: role: 'root' is not a role (viewer, "
                + "operator or admin) (see 'fleettap collector --help')\n");
        Run missing = fleettap("collector", "--listen", "127.0.0.1:0", "--data", tmp.resolve("data").toString(),
                "--tokens", tmp.resolve("none.yaml").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.stderr()).isEqualTo("fleettap: --tokens " + tmp.resolve("none.yaml") + ": cannot read it "
                + "(NoSuchFileException: " + tmp.resolve("none.yaml") + ") (see 'fleettap collector --help')\n");
        assertThat(Files.exists(tmp.resolve("data"))).as("nothing created").isFalse();
    }
}
