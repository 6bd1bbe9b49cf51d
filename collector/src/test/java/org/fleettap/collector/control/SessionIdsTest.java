package org.fleettap.collector.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SessionIdsTest {
    @Test
    void idsAreFixedWidthAndStrictlyIncreaseAsStringsEvenWithinOneMillisecond() {
        MutableClock clock = new MutableClock(Instant.parse("2026-03-14T10:15:02.123Z"));
        SessionIds ids = new SessionIds(clock, new SplittableRandom(7));
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            made.add(ids.next());
            if (i % 1000 == 999) {
                clock.advance(Duration.ofMillis(1));
            }
        }
        assertThat(made).allMatch(id -> id.matches("[0-9a-hjkmnp-tv-z]{13}"));
        assertThat(made).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void laterTimesSortLaterAcrossGenerators() {
        MutableClock clock = new MutableClock(Instant.parse("2026-03-14T10:15:02.123Z"));
        String first = new SessionIds(clock, new SplittableRandom(1)).next();
        clock.advance(Duration.ofMillis(1));
        String second = new SessionIds(clock, new SplittableRandom(2)).next();
        assertThat(first).isLessThan(second);
    }

    @Test
    void formatSpellsTheValueInCrockfordBase32() {
        assertThat(SessionIds.format(0)).isEqualTo("0000000000000");
        assertThat(SessionIds.format(31)).isEqualTo("000000000000z");
        assertThat(SessionIds.format(32 * 10 + 18)).isEqualTo("00000000000aj");
    }
}
