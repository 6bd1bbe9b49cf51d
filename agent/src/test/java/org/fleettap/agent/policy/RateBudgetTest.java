package org.fleettap.agent.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RateBudgetTest {
    private static final long MS = 1_000_000L;

    @Test
    void withinTheLimitEachSecondStaysQuiet() {
        RateBudget b = new RateBudget(3);
        for (int second = 0; second < 5; second++) {
            for (int i = 0; i < 3; i++) {
                assertThat(b.add(1, second * RateBudget.SECOND + i * 100 * MS)).isEqualTo(-1);
            }
        }
    }

    @Test
    void overTheLimitSaysTheRateOfTheWindowSoFar() {
        RateBudget b = new RateBudget(4);
        for (int i = 0; i < 4; i++) {
            assertThat(b.add(1, i * 50 * MS)).isEqualTo(-1);
        }
        // 5 in the 200 ms since the window began: 25 per second.
        assertThat(b.add(1, 200 * MS)).isEqualTo(25);
    }

    @Test
    void aBurstAtOneInstantIsMeasuredOverAMillisecond() {
        RateBudget b = new RateBudget(10);
        assertThat(b.add(11, 7 * MS)).isEqualTo(11_000);
    }

    @Test
    void aSlowWindowStillReportsAtLeastItsCount() {
        RateBudget b = new RateBudget(2);
        b.add(2, 0);
        assertThat(b.add(1, 999 * MS)).isEqualTo(3);
    }
}
