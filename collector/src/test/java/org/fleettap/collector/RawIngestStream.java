package org.fleettap.collector;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.fleettap.proto.v1.Ack;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.IngestServiceGrpc;

/**
 * One Ingest stream driven by hand: send batches (or bytes no protobuf encoder would make), take acks in arrival
 * order, cancel it.
 */
public final class RawIngestStream implements ClientResponseObserver<Object, Ack> {
    /** {@code Ingest} whose requests are a {@link Batch} or the bytes of a message as they are. */
    private static final MethodDescriptor<Object, Ack> INGEST = IngestServiceGrpc.getIngestMethod().toBuilder(
            new MethodDescriptor.Marshaller<Object>() {
                @Override
                public InputStream stream(Object value) {
                    return value instanceof Batch b ? b.toByteString().newInput()
                            : new ByteArrayInputStream((byte[]) value);
                }

                @Override
                public Object parse(InputStream stream) {
                    throw new UnsupportedOperationException("a client does not read requests");
                }
            }, IngestServiceGrpc.getIngestMethod().getResponseMarshaller()).build();

    private final BlockingQueue<Ack> acks = new LinkedBlockingQueue<>();
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile Throwable error;
    private ClientCallStreamObserver<Object> requests;

    public static RawIngestStream open(ManagedChannel channel) {
        RawIngestStream s = new RawIngestStream();
        ClientCalls.asyncBidiStreamingCall(channel.newCall(INGEST, CallOptions.DEFAULT), s);
        return s;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Object> requestStream) {
        this.requests = requestStream;
    }

    public synchronized void send(Batch b) {
        requests.onNext(b);
    }

    /** Sends {@code message} as one message of the stream, whatever it holds. */
    public synchronized void sendBytes(byte[] message) {
        requests.onNext(message);
    }

    /** Whether the collector has ended the stream. */
    public boolean ended() {
        return ended.getCount() == 0;
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
