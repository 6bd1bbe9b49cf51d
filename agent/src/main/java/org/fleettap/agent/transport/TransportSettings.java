package org.fleettap.agent.transport;

import java.time.Duration;
import java.util.Objects;

/**
 * What both transports share: flow control, queueing, retries and shutdown.
 *
 * @param maxUnackedBatches the most batches sent and not yet acknowledged (gRPC: the collector's
 *     {@code RegisterResponse.max_unacked_batches}; Kafka: records awaiting their callback)
 * @param intakeCapacity the bound of the in-memory queue between {@link BatchSink#submit} and the
 *     transport's thread; a batch submitted while it is full is dropped and counted
 * @param backoffInitial the first delay before reconnecting (gRPC) or retrying (Kafka) after a
 *     failure; it doubles after each failure, with jitter, up to {@code backoffMax}
 * @param backoffMax the longest such delay
 * @param ackTimeout how long a sent batch may go unacknowledged before the transport gives up on the
 *     connection and replays from the spool (gRPC: the stream is cancelled and opened again; Kafka:
 *     the producer's {@code delivery.timeout.ms})
 * @param closeTimeout how long {@link BatchSink#close} keeps sending before it leaves the rest in the
 *     spool
 */
public record TransportSettings(
        int maxUnackedBatches,
        int intakeCapacity,
        Duration backoffInitial,
        Duration backoffMax,
        Duration ackTimeout,
        Duration closeTimeout) {
    public static final int DEFAULT_MAX_UNACKED_BATCHES = 64;
    public static final int DEFAULT_INTAKE_CAPACITY = 1024;
    public static final Duration DEFAULT_BACKOFF_INITIAL = Duration.ofMillis(100);
    public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(10);
    public static final Duration DEFAULT_ACK_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);

    public TransportSettings {
        Objects.requireNonNull(backoffInitial, "backoffInitial");
        Objects.requireNonNull(backoffMax, "backoffMax");
        Objects.requireNonNull(ackTimeout, "ackTimeout");
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        if (maxUnackedBatches < 1) {
            throw new IllegalArgumentException("maxUnackedBatches must be at least 1, got " + maxUnackedBatches);
        }
        if (intakeCapacity < 1) {
            throw new IllegalArgumentException("intakeCapacity must be at least 1, got " + intakeCapacity);
        }
        if (backoffInitial.isNegative() || backoffInitial.isZero() || backoffMax.compareTo(backoffInitial) < 0) {
            throw new IllegalArgumentException(
                    "backoff needs 0 < backoffInitial <= backoffMax, got " + backoffInitial + " and " + backoffMax);
        }
        if (ackTimeout.isNegative() || ackTimeout.isZero()) {
            throw new IllegalArgumentException("ackTimeout must be positive, got " + ackTimeout);
        }
        if (closeTimeout.isNegative()) {
            throw new IllegalArgumentException("closeTimeout must not be negative, got " + closeTimeout);
        }
    }

    public static TransportSettings defaults() {
        return new TransportSettings(DEFAULT_MAX_UNACKED_BATCHES, DEFAULT_INTAKE_CAPACITY, DEFAULT_BACKOFF_INITIAL,
                DEFAULT_BACKOFF_MAX, DEFAULT_ACK_TIMEOUT, DEFAULT_CLOSE_TIMEOUT);
    }

    public TransportSettings withMaxUnackedBatches(int n) {
        return new TransportSettings(n, intakeCapacity, backoffInitial, backoffMax, ackTimeout, closeTimeout);
    }

    public TransportSettings withIntakeCapacity(int n) {
        return new TransportSettings(maxUnackedBatches, n, backoffInitial, backoffMax, ackTimeout, closeTimeout);
    }

    public TransportSettings withBackoff(Duration initial, Duration max) {
        return new TransportSettings(maxUnackedBatches, intakeCapacity, initial, max, ackTimeout, closeTimeout);
    }

    public TransportSettings withAckTimeout(Duration timeout) {
        return new TransportSettings(maxUnackedBatches, intakeCapacity, backoffInitial, backoffMax, timeout, closeTimeout);
    }

    public TransportSettings withCloseTimeout(Duration timeout) {
        return new TransportSettings(maxUnackedBatches, intakeCapacity, backoffInitial, backoffMax, ackTimeout, timeout);
    }
}
