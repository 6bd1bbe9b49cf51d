package org.fleettap.collector.control;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

/**
 * A collector control plane served over real gRPC on loopback (port 0 the first time, the same port after a
 * restart), with in-memory registries that outlive restarts as the store would.
 */
final class TestCollector implements AutoCloseable {
    final InMemoryAgentRegistry agents = new InMemoryAgentRegistry();
    final RecordingSessionRegistry sessions = new RecordingSessionRegistry();
    final ControlPlane plane;
    private Server server;
    private int port;

    TestCollector(ControlConfig config, Clock clock) {
        this.plane = new ControlPlane(config, agents, sessions, clock);
        start(0);
    }

    TestCollector() {
        this(ControlConfig.defaults(), Clock.systemUTC());
    }

    int port() {
        return port;
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** A plaintext channel to this collector. */
    ManagedChannel channel() {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    /** Stops serving: every open stream breaks, as when the collector process dies. */
    void stop() throws InterruptedException {
        server.shutdownNow();
        if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("collector on port " + port + " did not stop within 10 s");
        }
    }

    /** Serves again on the same port, with the same registries. */
    void restart() {
        start(port);
    }

    private void start(int onPort) {
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", onPort))
                    .addService(new AgentServiceImpl(plane)).addService(new SessionServiceImpl(plane)).build().start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting a collector on 127.0.0.1:" + onPort, e);
        }
        port = server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
        if (!server.isShutdown()) {
            stop();
        }
    }
}
