package org.fleettap.cli;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.fleettap.collector.control.AgentServiceImpl;
import org.fleettap.collector.control.ControlConfig;
import org.fleettap.collector.control.ControlPlane;
import org.fleettap.collector.control.InMemoryAgentRegistry;
import org.fleettap.collector.control.InMemorySessionRegistry;
import org.fleettap.collector.control.SessionServiceImpl;
import org.fleettap.proto.v1.Ack;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.IngestServiceGrpc;

/**
 * A collector as far as it exists for the CLI's tests, served over real gRPC on loopback: the real control plane
 * (AgentService, SessionService, in-memory registries), the {@link TestQueryService}, and an IngestService that
 * applies each (host, session, sequence) once into it.
 */
final class LoopbackCollector implements AutoCloseable {
    final InMemoryAgentRegistry agents = new InMemoryAgentRegistry();
    final InMemorySessionRegistry sessions = new InMemorySessionRegistry();
    final ControlPlane plane = new ControlPlane(ControlConfig.defaults(), agents, sessions);
    final TestQueryService query = new TestQueryService(plane);
    private final Server server;

    LoopbackCollector() {
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(new AgentServiceImpl(plane)).addService(new SessionServiceImpl(plane))
                    .addService(query).addService(new Ingest()).build().start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting a collector on loopback", e);
        }
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    /** The session ids the registry holds, in creation order. */
    List<String> sessionIds() {
        return sessions.sessions(true).stream().map(s -> s.id()).toList();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(10, TimeUnit.SECONDS);
    }

    private final class Ingest extends IngestServiceGrpc.IngestServiceImplBase {
        private final Set<String> applied = new HashSet<>();

        @Override
        public StreamObserver<Batch> ingest(StreamObserver<Ack> acks) {
            return new StreamObserver<>() {
                @Override
                public void onNext(Batch b) {
                    boolean fresh;
                    synchronized (applied) {
                        fresh = applied.add(b.getHostId() + "/" + b.getSessionId() + "/" + b.getSequence());
                    }
                    if (fresh) {
                        query.accept(b);
                    }
                    acks.onNext(Ack.newBuilder().setHostId(b.getHostId()).setSessionId(b.getSessionId())
                            .setSequence(b.getSequence())
                            .setStatus(fresh ? AckStatus.ACK_STATUS_APPLIED : AckStatus.ACK_STATUS_DUPLICATE).build());
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    acks.onCompleted();
                }
            };
        }
    }
}
