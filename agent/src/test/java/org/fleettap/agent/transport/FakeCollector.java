package org.fleettap.agent.transport;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.fleettap.proto.v1.Ack;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.IngestServiceGrpc;

/**
 * A real gRPC server on loopback serving a small IngestService: it records every batch it receives,
 * applies each (host, session, sequence) once (later copies are acknowledged as DUPLICATE), and can
 * be stopped and started again on the same port (its applied set survives, as a store would), told
 * to drop acknowledgements, hold them, reject batches, or break the stream.
 */
final class FakeCollector implements AutoCloseable {
    private final Object lock = new Object();
    private final List<Batch> received = new ArrayList<>();
    private final Map<BatchKey, Batch> applied = new LinkedHashMap<>();
    private final ArrayDeque<Runnable> heldAcks = new ArrayDeque<>();
    private Predicate<Batch> rejecting = b -> false;
    private int acksToDrop;
    private int breakAfter = -1;
    private boolean holdAcks;
    private int maxOutstanding;
    private int duplicates;
    private int streams;
    private int port;
    private Server server;

    private FakeCollector() {}

    static FakeCollector start() throws IOException {
        FakeCollector c = new FakeCollector();
        c.bind(0);
        return c;
    }

    String target() {
        return "127.0.0.1:" + port;
    }

    /** Stops serving (open streams break, unsent acknowledgements are lost); the port is free until {@link #restart}. */
    void stop() throws InterruptedException {
        Server s;
        synchronized (lock) {
            s = server;
            server = null;
            heldAcks.clear();
        }
        if (s != null) {
            s.shutdownNow();
            if (!s.awaitTermination(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("fake collector did not stop");
            }
        }
    }

    /** Serves again on the same port, with everything applied so far. */
    void restart() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                bind(port);
                return;
            } catch (IOException e) {
                if (!(e.getCause() instanceof BindException || e instanceof BindException)
                        || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                Thread.sleep(20); // the port is still held by the stopped server's socket: a bounded retry
            }
        }
    }

    private void bind(int p) throws IOException {
        Server s = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), p),
                        InsecureServerCredentials.create())
                .addService(new Service())
                .build()
                .start();
        synchronized (lock) {
            server = s;
            port = s.getPort();
        }
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void dropNextAcks(int n) {
        synchronized (lock) {
            acksToDrop = n;
        }
    }

    void reject(Predicate<Batch> which) {
        synchronized (lock) {
            rejecting = which;
        }
    }

    /** Breaks the current stream (UNAVAILABLE, without acknowledging) when it has received {@code n} more batches. */
    void breakStreamAfter(int n) {
        synchronized (lock) {
            breakAfter = n;
        }
    }

    void holdAcks(boolean hold) {
        List<Runnable> release = new ArrayList<>();
        synchronized (lock) {
            holdAcks = hold;
            if (!hold) {
                release.addAll(heldAcks);
                heldAcks.clear();
            }
            for (Runnable r : release) {
                r.run();
            }
        }
    }

    List<Batch> received() {
        synchronized (lock) {
            return List.copyOf(received);
        }
    }

    Map<BatchKey, Batch> applied() {
        synchronized (lock) {
            return new LinkedHashMap<>(applied);
        }
    }

    int duplicates() {
        synchronized (lock) {
            return duplicates;
        }
    }

    int streams() {
        synchronized (lock) {
            return streams;
        }
    }

    /** The most batches one stream had received and not acknowledged at any time. */
    int maxOutstanding() {
        synchronized (lock) {
            return maxOutstanding;
        }
    }

    boolean awaitApplied(int n, Duration timeout) throws InterruptedException {
        return awaitCount(() -> applied.size() >= n, timeout);
    }

    boolean awaitReceived(int n, Duration timeout) throws InterruptedException {
        return awaitCount(() -> received.size() >= n, timeout);
    }

    private boolean awaitCount(java.util.function.BooleanSupplier done, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!done.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    private final class Service extends IngestServiceGrpc.IngestServiceImplBase {
        @Override
        public StreamObserver<Batch> ingest(StreamObserver<Ack> responses) {
            synchronized (lock) {
                streams++;
            }
            return new StreamObserver<>() {
                private int outstanding;
                private boolean broken;

                @Override
                public void onNext(Batch b) {
                    synchronized (lock) {
                        if (broken) {
                            return;
                        }
                        received.add(b);
                        outstanding++;
                        maxOutstanding = Math.max(maxOutstanding, outstanding);
                        BatchKey key = BatchKey.of(b);
                        Ack.Builder ack = Ack.newBuilder()
                                .setHostId(key.hostId())
                                .setSessionId(key.sessionId())
                                .setSequence(key.sequence());
                        if (rejecting.test(b)) {
                            ack.setStatus(AckStatus.ACK_STATUS_REJECTED).setError("test: rejected " + key);
                        } else if (applied.putIfAbsent(key, b) == null) {
                            ack.setStatus(AckStatus.ACK_STATUS_APPLIED);
                        } else {
                            duplicates++;
                            ack.setStatus(AckStatus.ACK_STATUS_DUPLICATE);
                        }
                        lock.notifyAll();
                        if (breakAfter > 0 && --breakAfter == 0) {
                            breakAfter = -1;
                            broken = true;
                            responses.onError(Status.UNAVAILABLE.withDescription("test: stream broken").asException());
                            return;
                        }
                        if (acksToDrop > 0) {
                            acksToDrop--;
                            return;
                        }
                        Ack a = ack.build();
                        Runnable send = () -> {
                            outstanding--;
                            try {
                                responses.onNext(a);
                            } catch (RuntimeException e) {
                                // the client went away (cancelled): the acknowledgement is lost, as on a real network
                            }
                        };
                        if (holdAcks) {
                            heldAcks.addLast(send);
                        } else {
                            send.run();
                        }
                    }
                }

                @Override
                public void onError(Throwable t) {
                    synchronized (lock) {
                        broken = true;
                    }
                }

                @Override
                public void onCompleted() {
                    synchronized (lock) {
                        if (!broken) {
                            responses.onCompleted();
                        }
                    }
                }
            };
        }
    }
}
