package org.fleettap.collector.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.collector.store.TestBatches.HOUR;
import static org.fleettap.collector.store.TestBatches.MINUTE;
import static org.fleettap.collector.store.TestBatches.SECOND;
import static org.fleettap.collector.store.TestBatches.T0;

import org.fleettap.collector.store.RangePlan.Segment;
import org.junit.jupiter.api.Test;

class RangePlanTest {
    @Test
    void anAlignedHourIsOneHourWindow() {
        assertThat(RangePlan.segments(T0, T0 + HOUR, true)).containsExactly(new Segment(Resolution.HOUR, T0, T0 + HOUR));
    }

    @Test
    void edgesFallBackToMinutesThenSeconds() {
        long from = T0 - 2 * MINUTE - 5 * SECOND;
        long to = T0 + 2 * HOUR + 3 * MINUTE + 7 * SECOND;
        assertThat(RangePlan.segments(from, to, true)).containsExactly(
                new Segment(Resolution.SECOND, from, T0 - 2 * MINUTE),
                new Segment(Resolution.MINUTE, T0 - 2 * MINUTE, T0),
                new Segment(Resolution.HOUR, T0, T0 + 2 * HOUR),
                new Segment(Resolution.MINUTE, T0 + 2 * HOUR, T0 + 2 * HOUR + 3 * MINUTE),
                new Segment(Resolution.SECOND, T0 + 2 * HOUR + 3 * MINUTE, to));
    }

    @Test
    void aRangeInsideOneMinuteIsSeconds() {
        assertThat(RangePlan.segments(T0 + SECOND, T0 + 59 * SECOND, true))
                .containsExactly(new Segment(Resolution.SECOND, T0 + SECOND, T0 + 59 * SECOND));
    }

    @Test
    void withoutRollupEverythingIsSeconds() {
        assertThat(RangePlan.segments(T0, T0 + HOUR, false)).containsExactly(new Segment(Resolution.SECOND, T0, T0 + HOUR));
    }

    @Test
    void openRangesAreClampedToWhatWindowsCanStartAt() {
        assertContiguousAndAligned(Long.MIN_VALUE, Long.MAX_VALUE);
        assertThat(RangePlan.segments(Long.MIN_VALUE, Long.MAX_VALUE, true)).extracting(Segment::resolution)
                .containsExactly(Resolution.SECOND, Resolution.MINUTE, Resolution.HOUR, Resolution.MINUTE,
                        Resolution.SECOND);
        assertThat(RangePlan.segments(BatchDecoder.MAX_TIME, Long.MAX_VALUE, true)).isEmpty();
    }

    @Test
    void segmentsTileTheRangeWithAlignedWindows() {
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 10_000; i++) {
            long from = T0 + random.nextLong(-3 * HOUR, 3 * HOUR);
            long to = from + 1 + random.nextLong(random.nextBoolean() ? MINUTE : 4 * HOUR);
            assertContiguousAndAligned(from, to);
        }
    }

    private static void assertContiguousAndAligned(long from, long to) {
        var segments = RangePlan.segments(from, to, true);
        long at = Math.max(from, BatchDecoder.MIN_TIME);
        for (Segment s : segments) {
            assertThat(s.from()).isEqualTo(at);
            assertThat(s.to()).isGreaterThan(s.from());
            if (s.resolution() != Resolution.SECOND) {
                assertThat(s.resolution().floor(s.from())).isEqualTo(s.from());
                assertThat(s.resolution().floor(s.to())).isEqualTo(s.to());
            }
            at = s.to();
        }
        assertThat(at).isEqualTo(Math.min(to, BatchDecoder.MAX_TIME));
        assertThat(segments).hasSizeLessThanOrEqualTo(5);
    }
}
