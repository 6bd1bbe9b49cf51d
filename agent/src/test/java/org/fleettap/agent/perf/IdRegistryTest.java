package org.fleettap.agent.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IdRegistryTest {
    private static final SampleFormat A = SampleFormat.of(SampleType.IDENTIFIER | SampleType.TIME, 0, true);
    private static final SampleFormat B = SampleFormat.of(SampleType.IDENTIFIER | SampleType.TID, 0, false);

    @Test
    void registerLookupReplace() {
        IdRegistry r = new IdRegistry();
        r.register(42, A, 3);
        assertThat(r.format(42)).isSameAs(A);
        assertThat(r.cookie(42)).isEqualTo(3);
        assertThat(r.cookie(43)).isEqualTo(IdRegistry.NO_COOKIE);
        assertThat(r.format(43)).isNull();
        r.register(42, B, 4);
        assertThat(r.size()).isEqualTo(1);
        assertThat(r.format(42)).isSameAs(B);
        assertThat(r.cookie(42)).isEqualTo(4);
        assertThat(r.noneSampleIdAll()).isTrue();
    }

    @Test
    void sampleIdAllBookkeeping() {
        IdRegistry r = new IdRegistry();
        assertThat(r.allSampleIdAll()).isTrue();
        r.register(1, A, 0);
        assertThat(r.allSampleIdAll()).isTrue();
        r.register(2, B, 0);
        assertThat(r.allSampleIdAll()).isFalse();
        assertThat(r.noneSampleIdAll()).isFalse();
        r.remove(1);
        assertThat(r.noneSampleIdAll()).isTrue();
    }

    @Test
    void agreesWithHashMapUnderRandomAddsAndRemoves() {
        IdRegistry r = new IdRegistry();
        Map<Long, Integer> expected = new HashMap<>();
        Random random = new Random(1234);
        for (int step = 0; step < 20_000; step++) {
            // Small key range: plenty of collisions, removals inside probe runs, and growth.
            long id = random.nextInt(600) * 64L;
            if (random.nextInt(3) == 0) {
                assertThat(r.remove(id)).isEqualTo(expected.remove(id) != null);
            } else {
                int cookie = random.nextInt(1000);
                r.register(id, A, cookie);
                expected.put(id, cookie);
            }
        }
        assertThat(r.size()).isEqualTo(expected.size());
        for (long id = 0; id < 600 * 64L; id += 64) {
            assertThat(r.cookie(id)).isEqualTo(expected.getOrDefault(id, IdRegistry.NO_COOKIE));
        }
    }

    @Test
    void lostCountersPerId() {
        IdRegistry r = new IdRegistry();
        r.register(5, A, 0);
        r.addLost(r.slot(5), 10);
        r.addLost(r.slot(5), 2);
        r.addLostSamples(r.slot(5), 7);
        for (long id = 100; id < 200; id++) {
            r.register(id, A, 0); // forces rehashes; counters must move with their id
        }
        assertThat(r.lost(5)).isEqualTo(12);
        assertThat(r.lostSamples(5)).isEqualTo(7);
        assertThat(r.lost(6)).isZero();
    }
}
