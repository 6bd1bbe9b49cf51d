package org.fleettap.collector.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The users a collector knows (its tokens.yaml): each user's name, role and the SHA-256 of the user's bearer token.
 * The collector never holds a token itself, so the file reveals none; a presented token is hashed and looked up.
 */
public final class Tokens {
    private final List<User> users;
    private final Map<String, User> byHash;

    /** One user of tokens.yaml; {@code tokenSha256} is 64 lower-case hex digits. */
    public record User(String name, Role role, String tokenSha256) {
        public User {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(tokenSha256, "tokenSha256");
        }
    }

    /** @throws IllegalArgumentException when two users share a name or a token */
    public Tokens(List<User> users) {
        this.users = List.copyOf(users);
        if (this.users.stream().map(User::name).distinct().count() != this.users.size()) {
            throw new IllegalArgumentException("two users with the same name");
        }
        this.byHash = this.users.stream().collect(Collectors.toUnmodifiableMap(User::tokenSha256,
                Function.identity(), (a, b) -> {
                    throw new IllegalArgumentException("users " + a.name() + " and " + b.name() + " share a token");
                }));
    }

    public List<User> users() {
        return users;
    }

    /** The user whose token is {@code token}, empty for a token nobody has. */
    public Optional<User> user(String token) {
        return Optional.ofNullable(byHash.get(sha256(token)));
    }

    /** SHA-256 of {@code text}'s UTF-8 bytes, as 64 lower-case hex digits (what tokens.yaml holds). */
    public static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    /** SHA-256 of {@code bytes}, as 64 lower-case hex digits. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
