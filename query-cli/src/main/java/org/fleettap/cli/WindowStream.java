package org.fleettap.cli;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.fleettap.proto.v1.AggregateWindow;
import org.fleettap.proto.v1.FollowAggregatesRequest;

/**
 * A live FollowAggregates call: each window the collector closes goes to a consumer (on gRPC's thread), until the
 * collector ends the stream or {@link #close} cancels it.
 */
final class WindowStream implements AutoCloseable {
    private final AtomicReference<Status> ended = new AtomicReference<>();
    private final AtomicReference<ClientCallStreamObserver<FollowAggregatesRequest>> call = new AtomicReference<>();
    /** Set by {@link #close} before it cancels: the CANCELLED that follows is ours, not the stream's end. */
    private volatile boolean closing;

    private WindowStream() {
    }

    static WindowStream open(CollectorClient client, FollowAggregatesRequest request, Consumer<AggregateWindow> each) {
        WindowStream s = new WindowStream();
        client.queryStreams().followAggregates(request, new ClientResponseObserver<FollowAggregatesRequest,
                AggregateWindow>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<FollowAggregatesRequest> requestStream) {
                s.call.set(requestStream);
            }

            @Override
            public void onNext(AggregateWindow w) {
                each.accept(w);
            }

            @Override
            public void onError(Throwable t) {
                if (!s.closing) {
                    s.ended.compareAndSet(null, Status.fromThrowable(t));
                }
            }

            @Override
            public void onCompleted() {
                s.ended.compareAndSet(null, Status.OK);
            }
        });
        return s;
    }

    /** How the stream ended (OK when the collector completed it); null while it is open. */
    Status ended() {
        return ended.get();
    }

    /** Cancels the stream if it is still open; {@link #ended} then stays null. */
    @Override
    public void close() {
        closing = true;
        if (ended.get() == null && call.get() != null) {
            call.get().cancel("stopped", null);
        }
    }
}
