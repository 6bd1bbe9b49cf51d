package org.fleettap.collector.control;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Answers a unary call: the response, the call's own error status, or INTERNAL for a bug (logged). */
final class Unary {
    private static final Logger log = LoggerFactory.getLogger(Unary.class);

    private Unary() {
    }

    static <T> void respond(String method, StreamObserver<T> out, Supplier<T> handler) {
        T response;
        try {
            response = handler.get();
        } catch (StatusRuntimeException e) {
            log.info("{}: {}: {}", method, e.getStatus().getCode(), e.getStatus().getDescription());
            out.onError(e);
            return;
        } catch (RuntimeException e) {
            log.error("{} failed", method, e);
            out.onError(Status.INTERNAL.withDescription(method + ": " + e).withCause(e).asRuntimeException());
            return;
        }
        out.onNext(response);
        out.onCompleted();
    }
}
