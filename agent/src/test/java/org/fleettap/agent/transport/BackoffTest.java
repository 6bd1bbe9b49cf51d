package org.fleettap.agent.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private static final long MS = 1_000_000L;

    @Test
    void delaysDoubleWithJitterUpToTheMaximumAndResetAfterASuccess() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), new Random(7));
        long[] ceilings = {100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000};
        for (long ceiling : ceilings) {
            assertThat(backoff.nextDelayNanos()).isBetween(ceiling * MS / 2, ceiling * MS);
        }
        backoff.reset();
        assertThat(backoff.nextDelayNanos()).isBetween(50 * MS, 100 * MS);
    }

    @Test
    void jitterSpreadsTheDelays() {
        Set<Long> delays = new HashSet<>();
        Random random = new Random(1);
        for (int i = 0; i < 20; i++) {
            delays.add(new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), random).nextDelayNanos());
        }
        assertThat(delays).hasSizeGreaterThan(15);
    }

    @Test
    void aHugeMaximumDoesNotOverflow() {
        Backoff backoff = new Backoff(Duration.ofNanos(1), Duration.ofNanos(Long.MAX_VALUE), new Random(3));
        for (int i = 0; i < 100; i++) {
            assertThat(backoff.nextDelayNanos()).isPositive();
        }
    }

    @Test
    void refusesAnInitialDelayAboveTheMaximum() {
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), new Random()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("initial <= max");
    }
}
