package org.fleettap.collector;

import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.fleettap.proto.v1.Ack;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.IngestServiceGrpc;

/** One Ingest stream driven by hand: send batches, take acks in arrival order, cancel it. */
public final class RawIngestStream implements ClientResponseObserver<Batch, Ack> {
    private final BlockingQueue<Ack> acks = new LinkedBlockingQueue<>();
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile Throwable error;
    private ClientCallStreamObserver<Batch> requests;

    public static RawIngestStream open(ManagedChannel channel) {
        RawIngestStream s = new RawIngestStream();
        IngestServiceGrpc.newStub(channel).ingest(s);
        return s;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Batch> requestStream) {
        this.requests = requestStream;
    }

    public synchronized void send(Batch b) {
        requests.onNext(b);
    }

    public synchronized void cancel() {
        requests.cancel("test breaks the stream", null);
    }

    public synchronized void complete() {
        requests.onCompleted();
    }

    public Ack nextAck() throws InterruptedException {
        Ack a = acks.poll(30, TimeUnit.SECONDS);
        if (a == null) {
            throw new AssertionError("no acknowledgement within 30 s" + (error == null ? "" : "; stream failed: " + error));
        }
        return a;
    }

    /** Waits for the collector to end the stream; null when it completed it, else its error. */
    /** Sends {@code batches} on a new stream, waits for their acknowledgements, completes the stream. */
    public static java.util.List<Ack> ingest(ManagedChannel channel, Batch... batches) throws InterruptedException {
        RawIngestStream s = open(channel);
        for (Batch b : batches) {
            s.send(b);
        }
        java.util.List<Ack> acks = new java.util.ArrayList<>();
        for (int i = 0; i < batches.length; i++) {
            acks.add(s.nextAck());
        }
        s.complete();
        s.awaitEnd();
        return acks;
    }

    public Throwable awaitEnd() throws InterruptedException {
        if (!ended.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("stream did not end within 30 s");
        }
        return error;
    }

    @Override
    public void onNext(Ack value) {
        acks.add(value);
    }

    @Override
    public void onError(Throwable t) {
        error = t;
        ended.countDown();
    }

    @Override
    public void onCompleted() {
        ended.countDown();
    }
}
