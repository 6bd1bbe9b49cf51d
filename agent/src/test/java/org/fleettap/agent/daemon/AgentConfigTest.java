package org.fleettap.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class AgentConfigTest {
    private static final Path STATE = Path.of("/var/lib/fleettap");

    @Test
    void defaults() {
        AgentConfig c = AgentConfig.builder("collector.example:7070", STATE).build();
        assertThat(c.hostId()).isEqualTo(HostFacts.defaultHostId());
        assertThat(c.labels()).isEmpty();
        assertThat(c.heartbeatFallback()).isEqualTo(AgentConfig.DEFAULT_HEARTBEAT_FALLBACK);
        assertThat(c.initialBackoff()).isEqualTo(AgentConfig.DEFAULT_INITIAL_BACKOFF);
        assertThat(c.maxBackoff()).isEqualTo(AgentConfig.DEFAULT_MAX_BACKOFF);
        assertThat(c.maxPendingEvents()).isEqualTo(AgentConfig.DEFAULT_MAX_PENDING_EVENTS);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "collector                | collector address 'collector' is not HOST:PORT",
            "collector:0              | collector address 'collector:0' is not HOST:PORT",
            "collector:70000          | collector address 'collector:70000' is not HOST:PORT",
            "collector:7070/x         | collector address 'collector:7070/x' is not HOST:PORT"})
    void rejectsAddressesThatAreNotHostAndPort(String address, String message) {
        assertThatThrownBy(() -> AgentConfig.builder(address, STATE).hostId("h").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(message);
    }

    @Test
    void acceptsIpv6AndNames() {
        assertThat(AgentConfig.builder("[::1]:7070", STATE).hostId("h").build().collector()).isEqualTo("[::1]:7070");
        assertThat(AgentConfig.builder("10.0.0.1:7070", STATE).hostId("h").labels(Map.of("a", "b")).build()
                .labels()).isEqualTo(Map.of("a", "b"));
    }

    @Test
    void rejectsBackoffsOutOfOrderAndEmptyHostIds() {
        assertThatThrownBy(() -> AgentConfig.builder("c:1", STATE).hostId("h")
                .backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)).build())
                .hasMessage("maxBackoff PT1S is below initialBackoff PT2S");
        assertThatThrownBy(() -> AgentConfig.builder("c:1", STATE).hostId("").build())
                .hasMessage("host id is empty");
    }
}
