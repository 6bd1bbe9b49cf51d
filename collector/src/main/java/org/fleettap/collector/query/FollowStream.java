package org.fleettap.collector.query;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import org.fleettap.collector.control.Unary;
import org.fleettap.collector.ingest.AppliedFeed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the live streams of the query service share: how one comes to an end — asked to end with a status (the
 * service closing, an overflow, a failure), or cancelled by its client — and the ending itself, done once by the
 * stream's one writer task: unsubscribe from the {@link AppliedFeed}, tell the service, then complete or fail the
 * stream unless the client cancelled it. Subclasses write the stream's messages.
 */
abstract class FollowStream<T> implements AppliedFeed.Listener, QueryServiceImpl.Follower {
    private static final Logger log = LoggerFactory.getLogger(FollowStream.class);

    protected final ServerCallStreamObserver<T> out;
    /** Guards the ending state here and the subclass's state shared with the feed's thread. */
    protected final Object lock = new Object();
    private final AppliedFeed feed;
    private final Runnable onEnd;
    private final String rpc;
    // Guarded by lock.
    private Status endWith; // how to end the stream, once the writer gets to it
    private boolean cancelled; // by the client
    private boolean finished; // the writer ended the stream
    private AutoCloseable subscription; // set in subscribe, closed by the writer

    FollowStream(ServerCallStreamObserver<T> out, AppliedFeed feed, Runnable onEnd, String rpc) {
        this.out = out;
        this.feed = feed;
        this.onEnd = onEnd;
        this.rpc = rpc;
    }

    /** Notes the client's cancel and subscribes to the feed; from the service method, before it returns. */
    protected final void subscribe() {
        out.setOnCancelHandler(() -> {
            synchronized (lock) {
                cancelled = true;
            }
            cancelledByClient();
        });
        subscription = feed.subscribe(this);
    }

    /** After the client cancelled (the writer ends the stream when it next runs). */
    protected abstract void cancelledByClient();

    /** After {@link #end}: the writer should run soon to end the stream. */
    protected abstract void endRequested();

    @Override
    public final void end(Status status) {
        synchronized (lock) {
            if (stopping()) {
                return;
            }
            endWith = status;
            ended();
        }
        endRequested();
    }

    /** Under lock, when the stream is asked to end: drop what waits. */
    protected void ended() {
    }

    /** Under lock: asked to end, cancelled, or ended; no more messages are queued. */
    protected final boolean stopping() {
        return finished || cancelled || endWith != null;
    }

    /** Under lock: the writer ended the stream already. */
    protected final boolean finished() {
        return finished;
    }

    /**
     * Under lock, by the writer: whether it must end the stream now; if so the stream counts as finished from here,
     * and the writer calls {@link #finish} with {@link #endStatus} outside the lock.
     */
    protected final boolean mustStop() {
        finished = cancelled || endWith != null;
        return finished;
    }

    /** Under lock: how to end the stream; null when the client cancelled it (nothing more is written). */
    protected final Status endStatus() {
        return cancelled ? null : endWith;
    }

    /** By the writer, once: unsubscribes, tells the service, and ends the stream with {@code status} unless null. */
    protected void finish(Status status) {
        try {
            subscription.close();
        } catch (Exception e) {
            log.debug("unsubscribing a follower", e);
        }
        onEnd.run();
        if (status != null) {
            Unary.end(out, status, "a " + rpc + " stream");
        }
    }
}
