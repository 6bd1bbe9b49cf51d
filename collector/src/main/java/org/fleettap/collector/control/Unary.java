package org.fleettap.collector.control;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a unary call: the response, the call's own error status, INVALID_ARGUMENT for an argument the handler
 * refused (IllegalArgumentException), or INTERNAL for a bug (logged). Every service of the collector answers this way,
 * and ends its streams with {@link #end}.
 */
public final class Unary {
    private static final Logger log = LoggerFactory.getLogger(Unary.class);

    private Unary() {
    }

    public static <T> void respond(String method, StreamObserver<T> out, Supplier<T> handler) {
        T response;
        try {
            response = handler.get();
        } catch (StatusRuntimeException e) {
            log.info("{}: {}: {}", method, e.getStatus().getCode(), e.getStatus().getDescription());
            out.onError(e);
            return;
        } catch (IllegalArgumentException e) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(method + ": " + e.getMessage()).asRuntimeException());
            return;
        } catch (RuntimeException e) {
            log.error("{} failed", method, e);
            out.onError(Status.INTERNAL.withDescription(method + ": " + e).withCause(e).asRuntimeException());
            return;
        }
        out.onNext(response);
        out.onCompleted();
    }

    /**
     * Ends a stream the service writes: completes it for OK, else fails it with {@code status}. A stream the client
     * went away from refuses that; it is logged ({@code what}: which stream) at debug and otherwise ignored.
     */
    public static void end(StreamObserver<?> out, Status status, String what) {
        try {
            if (status.isOk()) {
                out.onCompleted();
            } else {
                out.onError(status.asRuntimeException());
            }
        } catch (RuntimeException e) {
            log.debug("ending {}", what, e);
        }
    }
}
