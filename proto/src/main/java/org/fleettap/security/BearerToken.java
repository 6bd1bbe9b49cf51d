package org.fleettap.security;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * A user's token on every call, as the metadata {@code authorization: Bearer TOKEN}: with the user's certificate it
 * is what the collector checks for user methods (the token's SHA-256 is in the collector's tokens.yaml).
 */
public final class BearerToken extends CallCredentials {
    /** The header the token travels in. */
    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    /** What precedes the token in the header. */
    public static final String PREFIX = "Bearer ";

    private final String token;

    /** {@code token} as written in a token file: one line, base64url. */
    public BearerToken(String token) {
        Objects.requireNonNull(token, "token");
        if (token.isEmpty() || !token.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
            throw new IllegalArgumentException("a token is one word of printable ASCII");
        }
        this.token = token;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, PREFIX + token);
        applier.apply(headers);
    }

    @Override
    public String toString() {
        return "BearerToken[hidden]";
    }
}
