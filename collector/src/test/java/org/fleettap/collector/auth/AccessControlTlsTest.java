package org.fleettap.collector.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fleettap.collector.CollectorTesting.CALLS;
import static org.fleettap.collector.CollectorTesting.SESSION;
import static org.fleettap.collector.CollectorTesting.counted;
import static org.fleettap.collector.CollectorTesting.totalCount;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fleettap.collector.Collector;
import org.fleettap.collector.CollectorConfig;
import org.fleettap.collector.CollectorTesting;
import org.fleettap.collector.RawIngestStream;
import org.fleettap.collector.ingest.IngestStats;
import org.fleettap.proto.v1.Ack;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.AdminServiceGrpc;
import org.fleettap.proto.v1.AgentEvent;
import org.fleettap.proto.v1.AgentServiceGrpc;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.AuditAction;
import org.fleettap.proto.v1.AuditEntry;
import org.fleettap.proto.v1.ControlCommand;
import org.fleettap.proto.v1.ControlHello;
import org.fleettap.proto.v1.GetStatsRequest;
import org.fleettap.proto.v1.GetStatsResponse;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.HeartbeatRequest;
import org.fleettap.proto.v1.ListAuditRequest;
import org.fleettap.proto.v1.ListAuditResponse;
import org.fleettap.proto.v1.ListHostsRequest;
import org.fleettap.proto.v1.ListSessionsRequest;
import org.fleettap.proto.v1.QueryServiceGrpc;
import org.fleettap.proto.v1.RefusalCount;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.SessionServiceGrpc;
import org.fleettap.proto.v1.StartSessionRequest;
import org.fleettap.proto.v1.StartSessionResponse;
import org.fleettap.proto.v1.StopSessionRequest;
import org.fleettap.proto.v1.TargetSelector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A collector with mTLS (certificates made by openssl with the contract's subjects) and tokens, called over loopback
 * by agents and users: who is refused, with which status, how the refusals are counted (AdminService.GetStats) and
 * what the audit log holds (AdminService.ListAudit).
 */
class AccessControlTlsTest {
    private static final String SCRIPT = "probe begin { exit() }";

    @TempDir
    static Path pkiDir;
    private static TestPki.Identity server;
    private static TestPki.Identity alice;
    private static TestPki.Identity olga;
    private static TestPki.Identity adam;
    private static TestPki.Identity fleetAgent;
    private static TestPki.Identity agentH1;
    private static final String ALICE_TOKEN = TestPki.token();
    private static final String OLGA_TOKEN = TestPki.token();
    private static final String ADAM_TOKEN = TestPki.token();
    private static final String BOB_TOKEN = TestPki.token();
    private static Tokens tokens;

    @TempDir
    Path tmp;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private Collector collector;

    @BeforeAll
    static void certificates() throws Exception {
        TestPki pki = TestPki.create(pkiDir);
        server = pki.collector();
        alice = pki.user("alice");
        olga = pki.user("olga");
        adam = pki.user("adam");
        fleetAgent = pki.agent("*");
        agentH1 = pki.agent("h1");
        String yaml = "# fleettap users\nusers:\n"
                + user("alice", "viewer", ALICE_TOKEN) + user("bob", "viewer", BOB_TOKEN)
                + user("olga", "operator", OLGA_TOKEN) + user("adam", "admin", ADAM_TOKEN);
        tokens = TokensParser.parse("tokens.yaml", yaml.getBytes(StandardCharsets.UTF_8));
    }

    private static String user(String name, String role, String token) {
        return "  - name: " + name + "\n    role: " + role + "\n    token_sha256: " + Tokens.sha256(token) + "\n";
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private Collector start() throws IOException {
        collector = new Collector(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store"))
                .withCredentials(server.serverCredentials()).withAccess(AccessSettings.checked(tokens))).start();
        toClose.add(collector);
        return collector;
    }

    private ManagedChannel channel(TestPki.Identity id) {
        ManagedChannel ch;
        try {
            ch = Grpc.newChannelBuilderForAddress("127.0.0.1", collector.port(), id.channelCredentials()).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        toClose.add(() -> {
            ch.shutdownNow();
            ch.awaitTermination(5, TimeUnit.SECONDS);
        });
        return ch;
    }

    /** A channel of {@code id} sending {@code authorization: Bearer token} on every call. */
    private Channel as(TestPki.Identity id, String token) {
        Metadata md = new Metadata();
        md.put(AccessControl.AUTHORIZATION, "Bearer " + token);
        return ClientInterceptors.intercept(channel(id), MetadataUtils.newAttachHeadersInterceptor(md));
    }

    private static StartSessionRequest session(String name) {
        return StartSessionRequest.newBuilder().setScriptName(name).setScriptSource(SCRIPT)
                .setTarget(TargetSelector.newBuilder().addHostIds("h1")).build();
    }

    private static Status.Code code(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        return Status.Code.OK;
    }

    private GetStatsResponse stats() {
        return AdminServiceGrpc.newBlockingStub(as(adam, ADAM_TOKEN)).getStats(GetStatsRequest.getDefaultInstance());
    }

    private List<AuditEntry> audit(ListAuditRequest r) {
        return AdminServiceGrpc.newBlockingStub(as(adam, ADAM_TOKEN)).listAudit(r).getEntriesList();
    }

    private static RefusalCount refusal(String service, String reason, long count) {
        return RefusalCount.newBuilder().setService("fleettap.v1." + service).setReason(reason).setCount(count).build();
    }

    @Test
    void aViewerQueriesButIsRefusedStartingASessionAndTheAuditLogSaysSo() throws Exception {
        start();
        Channel ch = as(alice, ALICE_TOKEN);
        assertThat(QueryServiceGrpc.newBlockingStub(ch).listHosts(ListHostsRequest.getDefaultInstance())
                .getHostsCount()).isZero();
        assertThatThrownBy(() -> SessionServiceGrpc.newBlockingStub(ch).startSession(session("a.stp")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).isEqualTo("fleettap.v1.SessionService/StartSession "
                            + "needs role operator or higher; user alice is viewer");
                });
        assertThat(collector.controlPlane().sessions().sessions(true)).isEmpty();
        List<AuditEntry> entries = audit(ListAuditRequest.getDefaultInstance());
        assertThat(entries).hasSize(1);
        AuditEntry e = entries.get(0);
        assertThat(e.getUser()).isEqualTo("alice");
        assertThat(e.getRole()).isEqualTo("viewer");
        assertThat(e.getAction()).isEqualTo(AuditAction.AUDIT_ACTION_REFUSED);
        assertThat(e.getMethod()).isEqualTo("fleettap.v1.SessionService/StartSession");
        assertThat(e.getOutcome()).isEqualTo("refused: fleettap.v1.SessionService/StartSession needs role operator "
                + "or higher; user alice is viewer");
        assertThat(e.getInsecure()).isFalse();
        assertThat(stats().getRefusalsList()).containsExactly(refusal("SessionService", "role-too-low", 1));
    }

    @Test
    void callersWithoutTheRightCertificateOrTokenAreUnauthenticatedAndCounted() throws Exception {
        start();
        ListHostsRequest hosts = ListHostsRequest.getDefaultInstance();
        // A user certificate without a token.
        assertThat(code(() -> QueryServiceGrpc.newBlockingStub(channel(alice)).listHosts(hosts)))
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        // Bob's token (a real one) with Alice's certificate.
        assertThat(code(() -> QueryServiceGrpc.newBlockingStub(as(alice, BOB_TOKEN)).listHosts(hosts)))
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        // A token nobody has.
        assertThat(code(() -> QueryServiceGrpc.newBlockingStub(as(alice, TestPki.token())).listHosts(hosts)))
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        // An agent certificate on a user method.
        assertThat(code(() -> QueryServiceGrpc.newBlockingStub(as(fleetAgent, ALICE_TOKEN)).listHosts(hosts)))
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        // A user certificate (with a token) on agent methods.
        assertThat(code(() -> AgentServiceGrpc.newBlockingStub(as(adam, ADAM_TOKEN))
                .register(RegisterRequest.newBuilder().setHostId("h1").build())))
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        RawIngestStream ingest = RawIngestStream.open(channel(olga));
        ingest.send(counted("h1", SESSION, 1));
        Throwable ended = ingest.awaitEnd();
        assertThat(Status.fromThrowable(ended).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(Status.fromThrowable(ended).getDescription()).isEqualTo("fleettap.v1.IngestService/Ingest is for "
                + "agents: the client certificate is not an agent's (OU=user, CN=olga)");
        // An operator without a token on StartSession: refused and audited.
        assertThat(code(() -> SessionServiceGrpc.newBlockingStub(channel(olga)).startSession(session("a.stp"))))
                .isEqualTo(Status.Code.UNAUTHENTICATED);

        assertThat(collector.ingestStats()).isEqualTo(new IngestStats(0, 0, 0, 0, 0, 0, 0));
        assertThat(collector.store().appliedSequence("h1", SESSION)).isEmpty();
        assertThat(stats().getRefusalsList()).containsExactly(
                refusal("AgentService", "wrong-certificate-kind", 1),
                refusal("IngestService", "wrong-certificate-kind", 1),
                refusal("QueryService", "wrong-certificate-kind", 1),
                refusal("QueryService", "no-token", 1),
                refusal("QueryService", "unknown-token", 1),
                refusal("QueryService", "token-of-another-user", 1),
                refusal("SessionService", "no-token", 1));
        assertThat(audit(ListAuditRequest.getDefaultInstance())).singleElement().satisfies(e -> {
            assertThat(e.getUser()).isEqualTo("olga");
            assertThat(e.getRole()).isEmpty();
            assertThat(e.getAction()).isEqualTo(AuditAction.AUDIT_ACTION_REFUSED);
            assertThat(e.getOutcome()).startsWith("refused: fleettap.v1.SessionService/StartSession needs the user's "
                    + "token");
        });
    }

    @Test
    void aBoundAgentActsOnlyAsItsOwnHostAndItsOtherBatchesAreRefusedOnAnOpenStream() throws Exception {
        start();
        AgentServiceGrpc.AgentServiceBlockingStub h1 = AgentServiceGrpc.newBlockingStub(channel(agentH1));
        h1.register(RegisterRequest.newBuilder().setHostId("h1").build());
        assertThatThrownBy(() -> h1.register(RegisterRequest.newBuilder().setHostId("h2").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).isEqualTo("the certificate of agent h1 may not register "
                            + "for host 'h2' (it is bound to host h1)");
                });
        assertThat(code(() -> h1.heartbeat(HeartbeatRequest.newBuilder().setHostId("h2").build())))
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(h1.heartbeat(HeartbeatRequest.newBuilder().setHostId("h1").build()).getRegisterAgain()).isFalse();
        CompletableFuture<Status> control = new CompletableFuture<>();
        StreamObserver<AgentEvent> events = AgentServiceGrpc.newStub(channel(agentH1)).control(new StreamObserver<>() {
            @Override
            public void onNext(ControlCommand value) {
            }

            @Override
            public void onError(Throwable t) {
                control.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                control.complete(Status.OK);
            }
        });
        events.onNext(AgentEvent.newBuilder().setHello(ControlHello.newBuilder().setHostId("h2")).build());
        assertThat(control.get(30, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);

        // h1's batches 1..6 with one of h2 between them, on one stream that stays open.
        RawIngestStream s = RawIngestStream.open(channel(agentH1));
        List<Ack> acks = new ArrayList<>();
        for (int seq = 1; seq <= 6; seq++) {
            s.send(counted("h1", SESSION, seq));
            acks.add(s.nextAck());
            if (seq == 3) {
                s.send(counted("h2", SESSION, 1));
                acks.add(s.nextAck());
            }
        }
        s.complete();
        assertThat(s.awaitEnd()).isNull();
        assertThat(acks).extracting(Ack::getStatus).containsExactly(AckStatus.ACK_STATUS_APPLIED,
                AckStatus.ACK_STATUS_APPLIED, AckStatus.ACK_STATUS_APPLIED, AckStatus.ACK_STATUS_REJECTED,
                AckStatus.ACK_STATUS_APPLIED, AckStatus.ACK_STATUS_APPLIED, AckStatus.ACK_STATUS_APPLIED);
        assertThat(acks.get(3).getHostId()).isEqualTo("h2");
        assertThat(acks.get(3).getError()).isEqualTo("the certificate of agent h1 may not send batches for host 'h2' "
                + "(it is bound to host h1)");
        // The fleet-wide agent certificate may send for any host.
        assertThat(RawIngestStream.ingest(channel(fleetAgent), counted("h2", SESSION, 1))).extracting(Ack::getStatus)
                .containsExactly(AckStatus.ACK_STATUS_APPLIED);

        assertThat(collector.store().appliedSequence("h1", SESSION)).hasValue(6);
        assertThat(collector.store().appliedSequence("h2", SESSION)).hasValue(1);
        assertThat(collector.ingestStats()).isEqualTo(new IngestStats(7, 0, 0, 0, 0, 0, 1));
        AggregateQueryResponse rows = QueryServiceGrpc.newBlockingStub(as(alice, ALICE_TOKEN)).queryAggregates(
                AggregateQuery.newBuilder().setSessionId(SESSION).setName(CALLS).setGroupBy(GroupBy.GROUP_BY_HOST)
                        .build());
        assertThat(rows.getRowsList()).extracting(r -> r.getHostId() + "=" + r.getStats().getCount())
                .containsExactly("h1=" + totalCount(6), "h2=" + totalCount(1));
        GetStatsResponse stats = stats();
        assertThat(stats.getGrpcIngest().getApplied()).isEqualTo(7);
        assertThat(stats.getGrpcIngest().getForbidden()).isEqualTo(1);
        assertThat(stats.getGrpcIngest().getMalformed()).isZero();
        assertThat(stats.getRefusalsList()).containsExactly(refusal("AgentService", "wrong-host", 3),
                refusal("IngestService", "wrong-host", 1));
    }

    @Test
    void theAuditLogHoldsEveryStartStopAndRefusalInTimeOrderWithWhoDidIt() throws Exception {
        start();
        Channel operator = as(olga, OLGA_TOKEN);
        StartSessionResponse started = SessionServiceGrpc.newBlockingStub(operator).startSession(session("a.stp"));
        assertThat(code(() -> SessionServiceGrpc.newBlockingStub(as(alice, ALICE_TOKEN))
                .stopSession(StopSessionRequest.newBuilder().setSessionId(started.getSessionId()).build())))
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(code(() -> AdminServiceGrpc.newBlockingStub(operator)
                .getStats(GetStatsRequest.getDefaultInstance()))).isEqualTo(Status.Code.PERMISSION_DENIED);
        SessionServiceGrpc.newBlockingStub(operator)
                .stopSession(StopSessionRequest.newBuilder().setSessionId(started.getSessionId()).build());

        assertThat(QueryServiceGrpc.newBlockingStub(as(alice, ALICE_TOKEN)).listSessions(ListSessionsRequest
                .newBuilder().setIncludeEnded(true).build()).getSessionsList()).singleElement()
                .satisfies(s -> assertThat(s.getStartedBy()).isEqualTo("olga"));
        List<AuditEntry> all = audit(ListAuditRequest.getDefaultInstance());
        assertThat(all).extracting(e -> e.getAction() + " " + e.getUser() + " " + e.getRole() + " "
                + e.getSessionId() + " " + e.getOutcome()).containsExactly(
                "AUDIT_ACTION_START_SESSION olga operator " + started.getSessionId() + " started",
                "AUDIT_ACTION_REFUSED alice viewer  refused: fleettap.v1.SessionService/StopSession needs role "
                        + "operator or higher; user alice is viewer",
                "AUDIT_ACTION_REFUSED olga operator  refused: fleettap.v1.AdminService/GetStats needs role admin or "
                        + "higher; user olga is operator",
                "AUDIT_ACTION_STOP_SESSION olga operator " + started.getSessionId() + " stopped");
        assertThat(all).extracting(AuditEntry::getTimeUnixNanos).isSorted();
        String sha = Tokens.sha256(SCRIPT);
        assertThat(all.get(0).getScriptSha256()).isEqualTo(sha).hasSize(64);
        assertThat(all.get(0).getScriptName()).isEqualTo("a.stp");
        assertThat(all.get(0).getTarget().getHostIdsList()).containsExactly("h1");
        assertThat(all.get(3).getScriptSha256()).isEqualTo(sha);

        // since/until/limit select by time.
        ListAuditResponse firstTwo = AdminServiceGrpc.newBlockingStub(as(adam, ADAM_TOKEN))
                .listAudit(ListAuditRequest.newBuilder().setLimit(2).build());
        assertThat(firstTwo.getEntriesList()).containsExactlyElementsOf(all.subList(0, 2));
        assertThat(firstTwo.getTruncated()).isTrue();
        assertThat(audit(ListAuditRequest.newBuilder().setSinceUnixNanos(all.get(3).getTimeUnixNanos()).build()))
                .last().isEqualTo(all.get(3));
        assertThat(audit(ListAuditRequest.newBuilder().setUntilUnixNanos(all.get(0).getTimeUnixNanos()).build()))
                .isEmpty();
        assertThat(stats().getRefusalsList()).containsExactly(refusal("AdminService", "role-too-low", 1),
                refusal("SessionService", "role-too-low", 1));
    }

    @Test
    void withoutTokensEveryCallerIsTheAnonymousAdminAndTheAuditLogSaysSo() throws Exception {
        collector = new Collector(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store"))).start();
        toClose.add(collector);
        ManagedChannel ch = CollectorTesting.channel(collector.port());
        toClose.add(ch::shutdownNow);
        StartSessionResponse r = SessionServiceGrpc.newBlockingStub(ch).startSession(session("b.stp"));
        assertThat(collector.controlPlane().sessions().session(r.getSessionId()).orElseThrow().startedBy())
                .isEqualTo("anonymous");
        assertThat(AdminServiceGrpc.newBlockingStub(ch).listAudit(ListAuditRequest.getDefaultInstance())
                .getEntriesList()).singleElement().satisfies(e -> {
                    assertThat(e.getUser()).isEqualTo("anonymous");
                    assertThat(e.getRole()).isEqualTo("admin");
                    assertThat(e.getInsecure()).isTrue();
                    assertThat(e.getOutcome()).isEqualTo("started");
                });
    }
}
