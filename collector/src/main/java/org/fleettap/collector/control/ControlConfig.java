package org.fleettap.collector.control;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the control plane.
 *
 * @param collectorVersion   sent to agents in RegisterResponse
 * @param heartbeatInterval  how often agents heartbeat
 * @param maxUnackedBatches  ingest flow control: batches an agent may have in flight unacknowledged
 * @param maxBatchBytes      the largest serialized Batch ingest accepts
 * @param maxScriptBytes     the largest script (UTF-8 bytes) StartSession accepts
 * @param maxQueuedCommands  commands queued for one agent's control stream while it does not read; beyond that the
 *                           stream is closed (the agent reconnects and is brought up to date by its hello)
 * @param lostAfter          a host without a control stream and without contact for this long is lost to the
 *                           sessions it ran: they go on without it (what it sent before is kept)
 */
public record ControlConfig(String collectorVersion, Duration heartbeatInterval, int maxUnackedBatches,
        int maxBatchBytes, int maxScriptBytes, int maxQueuedCommands, Duration lostAfter) {
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_UNACKED_BATCHES = 64;
    public static final int DEFAULT_MAX_BATCH_BYTES = 1 << 20;
    public static final int DEFAULT_MAX_SCRIPT_BYTES = 1 << 20;
    public static final int DEFAULT_MAX_QUEUED_COMMANDS = 1024;
    /** Three missed heartbeats. */
    public static final Duration DEFAULT_LOST_AFTER = DEFAULT_HEARTBEAT_INTERVAL.multipliedBy(3);

    public ControlConfig {
        Objects.requireNonNull(collectorVersion, "collectorVersion");
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
            throw new IllegalArgumentException("heartbeatInterval must be positive: " + heartbeatInterval);
        }
        positive("maxUnackedBatches", maxUnackedBatches);
        positive("maxBatchBytes", maxBatchBytes);
        positive("maxScriptBytes", maxScriptBytes);
        positive("maxQueuedCommands", maxQueuedCommands);
        Objects.requireNonNull(lostAfter, "lostAfter");
        if (lostAfter.isNegative() || lostAfter.isZero()) {
            throw new IllegalArgumentException("lostAfter must be positive: " + lostAfter);
        }
    }

    public static ControlConfig defaults() {
        return new ControlConfig(version(), DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_MAX_UNACKED_BATCHES,
                DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_SCRIPT_BYTES, DEFAULT_MAX_QUEUED_COMMANDS, DEFAULT_LOST_AFTER);
    }

    public ControlConfig withHeartbeatInterval(Duration interval) {
        return new ControlConfig(collectorVersion, interval, maxUnackedBatches, maxBatchBytes, maxScriptBytes,
                maxQueuedCommands, lostAfter);
    }

    public ControlConfig withMaxScriptBytes(int bytes) {
        return new ControlConfig(collectorVersion, heartbeatInterval, maxUnackedBatches, maxBatchBytes, bytes,
                maxQueuedCommands, lostAfter);
    }

    public ControlConfig withLostAfter(Duration d) {
        return new ControlConfig(collectorVersion, heartbeatInterval, maxUnackedBatches, maxBatchBytes, maxScriptBytes,
                maxQueuedCommands, d);
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
    }

    private static String version() {
        String v = ControlConfig.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
