package org.fleettap.cli;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.fleettap.proto.v1.QueryServiceGrpc;
import org.fleettap.proto.v1.SessionServiceGrpc;

/**
 * The CLI's connection to a collector: its SessionService and QueryService, each unary call with a deadline, and
 * failures turned into one-line {@link CollectorException}s that say which collector and which call.
 */
final class CollectorClient implements AutoCloseable {
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
    /** gRPC's default, which the collector enforces too. */
    private static final int MAX_MESSAGE_BYTES = 4 << 20;
    private static final Pattern NATIVE_PREFIX = Pattern.compile("^\\S+\\(\\.\\.\\) failed with error\\(-?\\d+\\): ");

    private final HostPort address;
    private final ManagedChannel channel;

    private CollectorClient(HostPort address, ManagedChannel channel) {
        this.address = address;
        this.channel = channel;
    }

    /** A plaintext channel to the collector; nothing is sent before the first call. */
    static CollectorClient connect(HostPort address) {
        return new CollectorClient(address, Grpc.newChannelBuilder(address.toString(),
                InsecureChannelCredentials.create()).maxInboundMessageSize(MAX_MESSAGE_BYTES).build());
    }

    HostPort address() {
        return address;
    }

    SessionServiceGrpc.SessionServiceBlockingStub sessions() {
        return SessionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_TIMEOUT.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    QueryServiceGrpc.QueryServiceBlockingStub query() {
        return QueryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_TIMEOUT.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** For streams, which have no deadline. */
    QueryServiceGrpc.QueryServiceStub queryStreams() {
        return QueryServiceGrpc.newStub(channel);
    }

    /** Runs one call; its failure becomes a {@link CollectorException}. */
    <T> T call(String method, Supplier<T> rpc) throws CollectorException {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw new CollectorException(describe(method, e.getStatus()), e);
        }
    }

    /** What went wrong with {@code method}, in one line, for users. */
    String describe(String method, Status s) {
        return switch (s.getCode()) {
            case UNAVAILABLE -> "cannot reach the collector at " + address + " (" + reason(s) + ")";
            case DEADLINE_EXCEEDED -> "the collector at " + address + " did not answer " + method + " within "
                    + CALL_TIMEOUT.toSeconds() + " s";
            case UNIMPLEMENTED -> "the collector at " + address + " does not serve " + method;
            default -> "collector " + address + ": " + method + ": " + reason(s);
        };
    }

    private static String reason(Status s) {
        Throwable root = s.getCause();
        while (root != null && root.getCause() != null) {
            root = root.getCause();
        }
        if (root != null && root.getMessage() != null) {
            // Netty's native transport says "finishConnect(..) failed with error(-111): Connection refused".
            return NATIVE_PREFIX.matcher(root.getMessage()).replaceFirst("");
        }
        return s.getDescription() != null ? s.getDescription() : s.getCode().toString();
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A collector call failed: unreachable, refused, or answered with an error. */
    static final class CollectorException extends Exception {
        CollectorException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
