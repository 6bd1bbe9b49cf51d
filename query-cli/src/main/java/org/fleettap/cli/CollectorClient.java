package org.fleettap.cli;

import io.grpc.Grpc;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.fleettap.collector.local.LocalStore;
import org.fleettap.proto.v1.AdminServiceGrpc;
import org.fleettap.proto.v1.QueryServiceGrpc;
import org.fleettap.proto.v1.SessionServiceGrpc;

/**
 * The CLI's connection to a collector: its SessionService and QueryService, each unary call with a deadline, and
 * failures turned into one-line {@link CollectorException}s that say which collector and which call. A local store
 * ({@code --data}) is served by the collector's QueryService through an in-process channel, so the read commands
 * ask it and format its answers exactly as a collector's.
 */
final class CollectorClient implements AutoCloseable {
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
    /** gRPC's default, which the collector enforces too. */
    private static final int MAX_MESSAGE_BYTES = 4 << 20;
    private static final Pattern NATIVE_PREFIX = Pattern.compile("^\\S+\\(\\.\\.\\) failed with error\\(-?\\d+\\): ");

    private final HostPort address;
    /** "collector HOST:PORT" or "local store DIR", for messages. */
    private final String name;
    /** "the collector at HOST:PORT" or "the local store at DIR", for messages. */
    private final String where;
    private final ManagedChannel channel;
    /** Whether the channel is a plaintext one to a collector (--insecure), for hints. */
    private final boolean plaintext;
    /** What this client runs itself (the in-process server and the local store), closed after the channel. */
    private final AutoCloseable owned;

    private CollectorClient(HostPort address, ChannelCredentials credentials, String name, String where,
            ManagedChannel channel, AutoCloseable owned) {
        this.address = address;
        this.name = name;
        this.where = where;
        this.channel = channel;
        this.plaintext = address != null && credentials instanceof InsecureChannelCredentials;
        this.owned = owned;
    }

    /** A channel to the collector (TLS, or plaintext with --insecure); nothing is sent before the first call. */
    static CollectorClient connect(HostPort address, ChannelCredentials credentials) {
        ManagedChannel channel = Grpc.newChannelBuilder(address.toString(), credentials)
                .maxInboundMessageSize(MAX_MESSAGE_BYTES).build();
        return new CollectorClient(address, credentials, "collector " + address, "the collector at " + address, channel,
                () -> { });
    }

    /** The QueryService of {@code store}, served in this process; the client owns the store and closes it. */
    static CollectorClient local(LocalStore store) throws IOException {
        String name = InProcessServerBuilder.generateName();
        Server server;
        try {
            server = InProcessServerBuilder.forName(name).addService(store.queryService()).build().start();
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        ManagedChannel channel = InProcessChannelBuilder.forName(name).maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .build();
        return new CollectorClient(null, null, "local store " + store.directory(), "the local store at "
                + store.directory(), channel, () -> {
            server.shutdownNow();
            server.awaitTermination(5, TimeUnit.SECONDS);
            store.close();
        });
    }

    /** The collector's address; null for a local store. */
    HostPort address() {
        return address;
    }

    SessionServiceGrpc.SessionServiceBlockingStub sessions() {
        return SessionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_TIMEOUT.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    AdminServiceGrpc.AdminServiceBlockingStub admin() {
        return AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_TIMEOUT.toMillis(),
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
        String tls = org.fleettap.security.TlsFailures.describe(s.getCause(), where);
        if (tls != null) {
            return tls;
        }
        return switch (s.getCode()) {
            case UNAVAILABLE -> "cannot reach " + where + " (" + reason(s) + (plaintext && !reason(s).contains("refused")
                    ? "; if it uses TLS, give --tls-dir instead of --insecure" : "") + ")";
            case DEADLINE_EXCEEDED -> where + " did not answer " + method + " within " + CALL_TIMEOUT.toSeconds()
                    + " s";
            case UNIMPLEMENTED -> where + " does not serve " + method;
            default -> name + ": " + method + ": " + reason(s);
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
            owned.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + where + ": " + e.getMessage(), e);
        }
    }

    /** A collector call failed: unreachable, refused, or answered with an error. */
    static final class CollectorException extends Exception {
        CollectorException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
