package org.fleettap.agent.daemon;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.fleettap.agent.policy.Policy;

/**
 * Settings of an {@link AgentDaemon}. Build with {@link #builder(String, Path)}; unset fields take the defaults
 * named below.
 *
 * @param collector         the collector's address, {@code HOST:PORT}
 * @param hostId            this host's name in the fleet (default: the host name, else /etc/machine-id)
 * @param labels            what session selectors match, e.g. zone=eu-1
 * @param stateDir          where the agent keeps state across restarts (batch sequence numbers per session)
 * @param heartbeatFallback the heartbeat interval when the collector names none
 * @param initialBackoff    the first delay before reconnecting (or registering again) after a failure
 * @param maxBackoff        the longest delay between attempts; a control stream that stayed up this long resets
 *                          the delays
 * @param rpcTimeout        deadline of Register and Heartbeat calls
 * @param stopTimeout       how long {@link AgentDaemon#close()} waits for its sessions to end
 * @param maxPendingEvents  status and compile-error reports held while no control stream is up; the oldest are
 *                          dropped beyond that (counted and logged)
 * @param policy            what this host allows sessions to do, whatever the collector sends (default
 *                          {@link Policy#NONE}: everything)
 */
public record AgentConfig(String collector, String hostId, Map<String, String> labels, Path stateDir,
        Duration heartbeatFallback, Duration initialBackoff, Duration maxBackoff, Duration rpcTimeout,
        Duration stopTimeout, int maxPendingEvents, Policy policy) {
    public static final Duration DEFAULT_HEARTBEAT_FALLBACK = Duration.ofSeconds(10);
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(200);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);
    public static final Duration DEFAULT_RPC_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(15);
    public static final int DEFAULT_MAX_PENDING_EVENTS = 1024;

    public AgentConfig {
        Objects.requireNonNull(collector, "collector");
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(stateDir, "stateDir");
        validateAddress(collector);
        if (hostId.isEmpty()) {
            throw new IllegalArgumentException("host id is empty");
        }
        Objects.requireNonNull(policy, "policy");
        labels = Map.copyOf(Objects.requireNonNull(labels, "labels"));
        positive("heartbeatFallback", heartbeatFallback);
        positive("initialBackoff", initialBackoff);
        positive("maxBackoff", maxBackoff);
        positive("rpcTimeout", rpcTimeout);
        positive("stopTimeout", stopTimeout);
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff " + maxBackoff + " is below initialBackoff "
                    + initialBackoff);
        }
        if (maxPendingEvents <= 0) {
            throw new IllegalArgumentException("maxPendingEvents must be positive: " + maxPendingEvents);
        }
    }

    public static Builder builder(String collector, Path stateDir) {
        return new Builder(collector, stateDir);
    }

    private static void validateAddress(String address) {
        try {
            URI u = new URI("tcp://" + address);
            if (u.getHost() == null || u.getPort() <= 0 || u.getPort() > 65535 || !u.getPath().isEmpty()) {
                throw new IllegalArgumentException("collector address '" + address + "' is not HOST:PORT");
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("collector address '" + address + "' is not HOST:PORT: "
                    + e.getMessage(), e);
        }
    }

    private static void positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
    }

    /** Builds an {@link AgentConfig}; validation happens in {@link #build()}. */
    public static final class Builder {
        private final String collector;
        private final Path stateDir;
        private String hostId;
        private Map<String, String> labels = Map.of();
        private Duration heartbeatFallback = DEFAULT_HEARTBEAT_FALLBACK;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private Duration rpcTimeout = DEFAULT_RPC_TIMEOUT;
        private Duration stopTimeout = DEFAULT_STOP_TIMEOUT;
        private int maxPendingEvents = DEFAULT_MAX_PENDING_EVENTS;
        private Policy policy = Policy.NONE;

        private Builder(String collector, Path stateDir) {
            this.collector = collector;
            this.stateDir = stateDir;
        }

        public Builder hostId(String id) {
            this.hostId = id;
            return this;
        }

        public Builder labels(Map<String, String> l) {
            this.labels = l;
            return this;
        }

        public Builder heartbeatFallback(Duration d) {
            this.heartbeatFallback = d;
            return this;
        }

        public Builder backoff(Duration initial, Duration max) {
            this.initialBackoff = initial;
            this.maxBackoff = max;
            return this;
        }

        public Builder rpcTimeout(Duration d) {
            this.rpcTimeout = d;
            return this;
        }

        public Builder stopTimeout(Duration d) {
            this.stopTimeout = d;
            return this;
        }

        public Builder maxPendingEvents(int n) {
            this.maxPendingEvents = n;
            return this;
        }

        public Builder policy(Policy p) {
            this.policy = p;
            return this;
        }

        public AgentConfig build() {
            return new AgentConfig(collector, hostId != null ? hostId : HostFacts.defaultHostId(), labels, stateDir,
                    heartbeatFallback, initialBackoff, maxBackoff, rpcTimeout, stopTimeout, maxPendingEvents, policy);
        }
    }
}
