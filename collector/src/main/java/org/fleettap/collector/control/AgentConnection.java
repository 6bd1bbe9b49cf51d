package org.fleettap.collector.control;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import org.fleettap.proto.v1.ControlCommand;

/**
 * The collector's end of one agent's control stream: commands are queued (boundedly) and written in order, as far
 * as the stream's flow control lets them, by whichever thread queues one or by gRPC when the stream becomes ready
 * again. All writes go through this object's lock, since a StreamObserver must not be called concurrently.
 */
final class AgentConnection {
    private final ServerCallStreamObserver<ControlCommand> out;
    private final int capacity;
    private final Object lock = new Object();
    private final ArrayDeque<ControlCommand> queue = new ArrayDeque<>(); // guarded by lock
    private boolean closed; // guarded by lock
    private volatile String hostId = "";

    /** Must be called inside the service method, before it returns (gRPC accepts handlers only then). */
    AgentConnection(ServerCallStreamObserver<ControlCommand> out, int capacity) {
        this.out = out;
        this.capacity = capacity;
        out.setOnReadyHandler(this::drain);
        // With a cancel handler set, writes after a cancellation are dropped instead of throwing; the request side
        // learns of the cancellation through onError.
        out.setOnCancelHandler(this::abandon);
    }

    /** The host that said hello on this stream; empty before. */
    String hostId() {
        return hostId;
    }

    void bind(String hostId) {
        this.hostId = hostId;
    }

    /** Queues {@code command} and writes what the stream takes; false when the queue is full (nothing queued). */
    boolean send(ControlCommand command) {
        synchronized (lock) {
            if (closed) {
                return true;
            }
            if (queue.size() >= capacity) {
                return false;
            }
            queue.addLast(command);
            drainLocked();
            return true;
        }
    }

    /** Ends the stream with {@code status} (OK completes it); queued commands are dropped. Idempotent. */
    void close(Status status) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            queue.clear();
            Unary.end(out, status, "the control stream of host " + hostId);
        }
    }

    /** Stops writing without touching the stream: it failed or was cancelled. Idempotent. */
    void abandon() {
        synchronized (lock) {
            closed = true;
            queue.clear();
        }
    }

    private void drain() {
        synchronized (lock) {
            drainLocked();
        }
    }

    private void drainLocked() {
        while (!closed && !queue.isEmpty() && out.isReady()) {
            out.onNext(queue.pollFirst());
        }
    }
}
