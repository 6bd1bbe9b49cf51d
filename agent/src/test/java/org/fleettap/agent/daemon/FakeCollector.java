package org.fleettap.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.fleettap.proto.v1.AgentEvent;
import org.fleettap.proto.v1.AgentServiceGrpc;
import org.fleettap.proto.v1.ControlCommand;
import org.fleettap.proto.v1.HeartbeatRequest;
import org.fleettap.proto.v1.HeartbeatResponse;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.RegisterResponse;

/**
 * The collector's side of AgentService as the test drives it, on real gRPC over loopback: records registrations,
 * heartbeats and everything agents send on their control streams, and pushes the commands the test gives it.
 */
final class FakeCollector implements AutoCloseable {
    static final long TIMEOUT_SECONDS = 20;

    final BlockingQueue<RegisterRequest> registrations = new LinkedBlockingQueue<>();
    final BlockingQueue<HeartbeatRequest> heartbeats = new LinkedBlockingQueue<>();
    final BlockingQueue<AgentEvent> events = new LinkedBlockingQueue<>();
    /** One entry per control stream the agent ended itself (completed). */
    final BlockingQueue<String> completedStreams = new LinkedBlockingQueue<>();
    private final Duration heartbeatInterval;
    private final Object lock = new Object();
    private StreamObserver<ControlCommand> stream; // the latest control stream, guarded by lock
    private Server server;
    private final int port;

    /** Serves on {@code port} (0: any free one). */
    FakeCollector(int port, Duration heartbeatInterval) {
        this.heartbeatInterval = heartbeatInterval;
        this.port = start(port);
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    void push(ControlCommand c) {
        synchronized (lock) {
            assertThat(stream).as("a control stream to push on").isNotNull();
            stream.onNext(c);
        }
    }

    /** Stops serving; open streams break. */
    void stop() throws InterruptedException {
        server.shutdownNow();
        assertThat(server.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        synchronized (lock) {
            stream = null;
        }
    }

    void restart() {
        start(port);
    }

    static <T> T take(BlockingQueue<T> q, String what) throws InterruptedException {
        T t = q.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(t).as("%s within %d s", what, TIMEOUT_SECONDS).isNotNull();
        return t;
    }

    AgentEvent nextEvent() throws InterruptedException {
        return take(events, "a control event");
    }

    private int start(int onPort) {
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", onPort))
                    .addService(new Service()).build().start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting a fake collector on 127.0.0.1:" + onPort, e);
        }
        return server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
        if (!server.isShutdown()) {
            stop();
        }
    }

    private final class Service extends AgentServiceGrpc.AgentServiceImplBase {
        @Override
        public void register(RegisterRequest request, StreamObserver<RegisterResponse> out) {
            registrations.add(request);
            out.onNext(RegisterResponse.newBuilder().setCollectorVersion("fake")
                    .setHeartbeatIntervalNanos(heartbeatInterval.toNanos()).setMaxUnackedBatches(64)
                    .setMaxBatchBytes(1 << 20).build());
            out.onCompleted();
        }

        @Override
        public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
            heartbeats.add(request);
            out.onNext(HeartbeatResponse.getDefaultInstance());
            out.onCompleted();
        }

        @Override
        public StreamObserver<AgentEvent> control(StreamObserver<ControlCommand> out) {
            ((ServerCallStreamObserver<ControlCommand>) out).setOnCancelHandler(() -> { });
            synchronized (lock) {
                stream = out;
            }
            return new StreamObserver<>() {
                @Override
                public void onNext(AgentEvent e) {
                    events.add(e);
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    completedStreams.add("completed");
                    synchronized (lock) {
                        out.onCompleted();
                    }
                }
            };
        }
    }
}
