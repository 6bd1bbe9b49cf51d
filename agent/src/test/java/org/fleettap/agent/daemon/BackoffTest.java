package org.fleettap.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void delaysDoubleWithinTheUpperHalfOfEachStepUpToTheCapAndResetAfterASuccess() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), new SplittableRandom(3));
        long[] steps = {100, 200, 400, 800, 1000, 1000, 1000};
        for (long step : steps) {
            Duration d = b.next();
            assertThat(d).isBetween(Duration.ofMillis(step / 2), Duration.ofMillis(step));
        }
        b.reset();
        assertThat(b.next()).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
    }

    @Test
    void delaysAreJittered() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), new SplittableRandom(5));
        assertThat(java.util.stream.Stream.generate(b::next).limit(20).distinct().count()).isGreaterThan(15);
    }
}
