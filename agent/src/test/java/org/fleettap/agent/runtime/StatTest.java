package org.fleettap.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class StatTest {
    @Test
    void aggregates_avgTruncatesTowardZeroAsC() {
        Stat s = new Stat(HistogramSpec.none());
        for (long v : new long[] {1, 9, 5}) {
            s.add(v);
        }
        assertThat(List.of(s.count(), s.sum(), s.min(), s.max(), s.avg())).containsExactly(3L, 15L, 1L, 9L, 5L);
        Stat neg = new Stat(HistogramSpec.none());
        neg.add(-7);
        neg.add(0);
        assertThat(neg.avg()).isEqualTo(-3);
    }

    @Test
    void empty_countAndSumAreZero_minMaxAvgAreEmptyAggregateErrors() {
        Stat s = new Stat(HistogramSpec.none());
        assertThat(s.count()).isZero();
        assertThat(s.sum()).isZero();
        assertThatThrownBy(s::min).isInstanceOf(StapRuntimeException.class).hasMessage("empty aggregate");
        assertThatThrownBy(s::max).hasMessage("empty aggregate");
        assertThatThrownBy(s::avg).hasMessage("empty aggregate");
    }

    @Test
    void sumWrapsAt64Bits() {
        Stat s = new Stat(HistogramSpec.none());
        s.add(Long.MAX_VALUE);
        s.add(1);
        assertThat(s.sum()).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void bucketIndexOutOfRange() {
        Stat s = new Stat(HistogramSpec.linear(0, 10, 5));
        s.add(3);
        assertThat(s.bucket(1)).isEqualTo(1);
        assertThat(s.bucketCount()).isEqualTo(5);
        assertThatThrownBy(() -> s.bucket(5)).hasMessage("histogram index out of range");
        assertThatThrownBy(() -> new Stat(HistogramSpec.none()).bucket(0)).hasMessage("histogram index out of range");
    }

    @Test
    void mergeRequiresTheSameHistogram() {
        assertThatThrownBy(() -> new Stat(HistogramSpec.log()).merge(new Stat(HistogramSpec.none())))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Property: values split into random partials (per CPU, per host), merged in random order and
     * random grouping, give the same aggregate and the same printed histogram as adding them all
     * to one statistic.
     */
    @RepeatedTest(50)
    void mergeOfRandomPartitionsInRandomOrder_isIdenticalToOneStatistic(RepetitionInfo info) {
        Random r = new Random(info.getCurrentRepetition());
        HistogramSpec spec = r.nextBoolean() ? HistogramSpec.log() : HistogramSpec.linear(-1000, 5000, 100);
        List<Long> values = new ArrayList<>();
        int n = 1 + r.nextInt(2000);
        for (int i = 0; i < n; i++) {
            values.add(switch (r.nextInt(4)) {
                case 0 -> (long) r.nextInt(10_000) - 2000;
                case 1 -> r.nextLong();
                case 2 -> 0L;
                default -> (long) r.nextInt(1 << 20);
            });
        }
        Stat whole = new Stat(spec);
        values.forEach(whole::add);

        int parts = 1 + r.nextInt(16);
        List<Stat> partials = new ArrayList<>();
        for (int i = 0; i < parts; i++) {
            partials.add(new Stat(spec));
        }
        for (long v : values) {
            partials.get(r.nextInt(parts)).add(v);
        }
        Collections.shuffle(partials, r);
        // random tree of merges: repeatedly merge two random partials into one
        while (partials.size() > 1) {
            Stat a = partials.remove(r.nextInt(partials.size()));
            Stat b = partials.remove(r.nextInt(partials.size()));
            Stat first = r.nextBoolean() ? a : b;
            Stat second = first == a ? b : a;
            Stat into;
            if (r.nextBoolean()) {
                into = first; // merge in place
            } else {
                into = new Stat(spec);
                into.merge(first);
            }
            into.merge(second);
            partials.add(into);
        }
        Stat merged = partials.get(0);
        assertThat(merged.sameAggregate(whole)).as("%s vs %s", merged, whole).isTrue();
        assertThat(merged.histogramText()).isEqualTo(whole.histogramText());
        assertThat(merged.avg()).isEqualTo(whole.avg());
    }

    /** A merged aggregate's log2 buckets print exactly as the statistic that recorded the same values. */
    @Test
    void aMergeableAggregateOfTheSameValuesIsTheSameLogHistogram() {
        Stat direct = new Stat(HistogramSpec.log());
        org.fleettap.aggregate.MergeableAggregate a = new org.fleettap.aggregate.MergeableAggregate();
        org.fleettap.aggregate.MergeableAggregate b = new org.fleettap.aggregate.MergeableAggregate();
        Random r = new Random(7);
        for (int i = 0; i < 5000; i++) {
            long v = i % 97 == 0 ? -r.nextInt(1000) : r.nextInt(1 << r.nextInt(20));
            direct.add(v);
            (i % 2 == 0 ? a : b).record(v);
        }
        a.merge(b);
        Stat of = Stat.ofLog2(a);
        assertThat(of.sameAggregate(direct)).as("%s vs %s", of, direct).isTrue();
        assertThat(of.histogramText()).isEqualTo(direct.histogramText());
        assertThat(Stat.ofLog2(new org.fleettap.aggregate.MergeableAggregate()).count()).isZero();
    }
}
