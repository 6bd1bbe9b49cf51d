package org.fleettap.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.fleettap.proto.v1.Aggregate;
import org.fleettap.proto.v1.HdrBuckets;

/**
 * Merging is associative and commutative, exactly, and quantiles of merged aggregates stay within
 * the sketch's stated error of the exact quantiles of all the values.
 */
final class MergeableAggregatePropertyTest {

    /** The quantiles a query reports, and some at the edges. */
    private static final List<BigDecimal> QUANTILES = List.of(
            new BigDecimal("0"), new BigDecimal("0.001"), new BigDecimal("0.01"), new BigDecimal("0.25"),
            new BigDecimal("0.5"), new BigDecimal("0.9"), new BigDecimal("0.99"), new BigDecimal("0.999"),
            BigDecimal.ONE);

    /** Full-range longs (jqwik adds 0, ±1, MIN and MAX as edge cases), small ones, and latencies in ns. */
    @Provide
    Arbitrary<Long> values() {
        return Arbitraries.frequencyOf(List.of(
                Tuple.of(1, Arbitraries.longs()),
                Tuple.of(2, Arbitraries.longs().between(-300, 300)),
                Tuple.of(3, Arbitraries.longs().between(0, 10_000_000_000L)),
                Tuple.of(1, Arbitraries.longs().between(-5_000_000, 5_000_000))));
    }

    private static MergeableAggregate of(List<Long> values) {
        MergeableAggregate a = new MergeableAggregate();
        values.forEach(a::record);
        return a;
    }

    private static MergeableAggregate merged(MergeableAggregate... parts) {
        MergeableAggregate m = new MergeableAggregate();
        for (MergeableAggregate p : parts) {
            m.merge(p);
        }
        return m;
    }

    /** Equal in every figure that must be exact, then equal as a whole (sketches included). */
    private static void assertSame(MergeableAggregate actual, MergeableAggregate expected) {
        assertThat(actual.count()).isEqualTo(expected.count());
        assertThat(actual.sum()).isEqualTo(expected.sum());
        if (!expected.isEmpty()) {
            assertThat(actual.min()).isEqualTo(expected.min());
            assertThat(actual.max()).isEqualTo(expected.max());
            for (BigDecimal q : QUANTILES) {
                assertThat(actual.quantile(q.doubleValue())).isEqualTo(expected.quantile(q.doubleValue()));
            }
        }
        for (int b = Log2Buckets.MIN_INDEX; b <= Log2Buckets.MAX_INDEX; b++) {
            assertThat(actual.log2Bucket(b)).as("bucket %d", b).isEqualTo(expected.log2Bucket(b));
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(actual.hashCode()).isEqualTo(expected.hashCode());
    }

    @Property
    void mergeIsAssociative(@ForAll("parts") List<Long> a, @ForAll("parts") List<Long> b,
            @ForAll("parts") List<Long> c) {
        MergeableAggregate left = merged(merged(of(a), of(b)), of(c));
        MergeableAggregate right = merged(of(a), merged(of(b), of(c)));

        assertSame(left, right);
    }

    @Property
    void mergeIsCommutative(@ForAll("parts") List<Long> a, @ForAll("parts") List<Long> b) {
        assertSame(merged(of(a), of(b)), merged(of(b), of(a)));
    }

    /** A few values into many (a window into a running total) and many into a few agree. */
    @Property(tries = 300)
    void fewIntoManyEqualsManyIntoFew(@ForAll("many") @Size(min = 500) List<Long> many,
            @ForAll("parts") @Size(max = 8) List<Long> few) {
        List<Long> all = new ArrayList<>(many);
        all.addAll(few);
        MergeableAggregate fewIntoMany = of(many);
        fewIntoMany.merge(of(few));
        MergeableAggregate manyIntoFew = of(few);
        manyIntoFew.merge(of(many));

        assertSame(fewIntoMany, of(all));
        assertSame(manyIntoFew, of(all));
    }

    /** However the values are split (hosts, windows) and merged, the result is one aggregate of all. */
    @Property(tries = 300)
    void anySplitMergedInAnyOrderEqualsRecordingAll(@ForAll("many") List<Long> values,
            @ForAll @IntRange(min = 1, max = 12) int parts, @ForAll long seed) {
        Random random = new Random(seed);
        List<MergeableAggregate> split = new ArrayList<>();
        for (int i = 0; i < parts; i++) {
            split.add(new MergeableAggregate());
        }
        for (long v : values) {
            split.get(random.nextInt(parts)).record(v);
        }
        Collections.shuffle(split, random);
        // Merge pairwise in random order, like partial results meeting in a tree.
        while (split.size() > 1) {
            MergeableAggregate x = split.remove(random.nextInt(split.size()));
            MergeableAggregate y = split.remove(random.nextInt(split.size()));
            x.merge(y);
            split.add(x);
        }

        assertSame(split.get(0), of(values));
    }

    @Property(tries = 300)
    void mergedQuantilesStayWithinTheStatedErrorOfTheExactOnes(@ForAll("many") @Size(min = 1) List<Long> first,
            @ForAll("many") List<Long> second, @ForAll("many") List<Long> third) {
        MergeableAggregate m = merged(of(third), of(first), of(second));
        List<Long> all = new ArrayList<>(first);
        all.addAll(second);
        all.addAll(third);
        ExactQuantile exact = new ExactQuantile(all.stream().mapToLong(Long::longValue).toArray());

        for (BigDecimal q : QUANTILES) {
            assertWithinError(m.quantile(q.doubleValue()), exact.at(q), q);
        }
    }

    /** Arbitrary quantiles with up to 4 decimals, on arbitrary values. */
    @Property
    void anyQuantileIsWithinTheStatedError(@ForAll("many") @Size(min = 1) List<Long> values,
            @ForAll @IntRange(min = 0, max = 10_000) int tenThousandths) {
        BigDecimal q = BigDecimal.valueOf(tenThousandths, 4);
        long estimate = of(values).quantile(q.doubleValue());

        assertWithinError(estimate, new ExactQuantile(values.stream().mapToLong(Long::longValue).toArray()).at(q), q);
    }

    /** Never below the exact quantile, and above it by less than 1/128 (so within 1%) of its magnitude. */
    private static void assertWithinError(long estimate, long exact, BigDecimal q) {
        BigInteger error = BigInteger.valueOf(estimate).subtract(BigInteger.valueOf(exact));
        BigInteger magnitude = BigInteger.valueOf(exact).abs();
        assertThat(error.signum()).as("q=%s estimate %d, exact %d", q, estimate, exact).isGreaterThanOrEqualTo(0);
        assertThat(error.shiftLeft(7)).as("q=%s estimate %d, exact %d", q, estimate, exact)
                .isLessThanOrEqualTo(magnitude);
        assertThat(new BigDecimal(error))
                .isLessThanOrEqualTo(new BigDecimal(magnitude).multiply(BigDecimal.valueOf(MergeableAggregate.RELATIVE_ERROR)));
    }

    /**
     * The sketch holds exactly what HdrHistogram's own Histogram holds for the same values (same
     * buckets, same counts), and quantiles are its getValueAtPercentile, except that ranks 1 and n
     * are the exact min and max and the rest are clamped into [min, max].
     */
    @Property(tries = 300)
    void sketchIsWhatHdrHistogramRecords(@ForAll("manyNonNegative") List<Long> values) {
        Histogram hdr = new Histogram(MergeableAggregate.SIGNIFICANT_VALUE_DIGITS);
        values.forEach(hdr::recordValue);
        List<Long> lows = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        for (HistogramIterationValue v : hdr.recordedValues()) {
            lows.add(hdr.lowestEquivalentValue(v.getValueIteratedTo()));
            counts.add(v.getCountAtValueIteratedTo());
        }
        MergeableAggregate a = of(values);
        HdrBuckets sketch = a.toProto().getQuantiles().getNonNegative();
        List<Long> sketchLows = new ArrayList<>();
        long low = 0;
        for (long delta : sketch.getLowestValueDeltasList()) {
            low += delta;
            sketchLows.add(low);
        }

        assertThat(sketchLows).isEqualTo(lows);
        assertThat(sketch.getCountsList()).isEqualTo(counts);
        for (BigDecimal q : QUANTILES) {
            long rank = new BigDecimal(values.size()).multiply(q).setScale(0, java.math.RoundingMode.CEILING)
                    .max(BigDecimal.ONE).longValueExact();
            long expected = rank == 1 ? a.min()
                    : rank == values.size() ? a.max()
                    : Math.max(a.min(), Math.min(a.max(), hdr.getValueAtPercentile(q.doubleValue() * 100)));
            assertThat(a.quantile(q.doubleValue())).as("q=%s", q).isEqualTo(expected);
        }
    }

    @Property
    void roundTripThroughTheWireIsExact(@ForAll("many") List<Long> values) throws Exception {
        MergeableAggregate a = of(values);
        Aggregate message = Aggregate.parseFrom(a.toProto().toByteArray());

        MergeableAggregate back = MergeableAggregate.fromProto(message);

        assertSame(back, a);
        assertThat(back.toProto()).isEqualTo(message);
    }

    /** What the collector does: read deltas off the wire and merge them. */
    @Property(tries = 300)
    void mergingWhatCameOffTheWireEqualsMergingTheOriginals(@ForAll("parts") List<Long> a,
            @ForAll("parts") List<Long> b) throws Exception {
        MergeableAggregate fromWire = MergeableAggregate.fromProto(of(a).toProto());
        fromWire.merge(MergeableAggregate.fromProto(of(b).toProto()));

        assertSame(fromWire, merged(of(a), of(b)));
    }

    @Provide
    Arbitrary<List<Long>> parts() {
        return values().list().ofMaxSize(60);
    }

    @Provide
    Arbitrary<List<Long>> manyNonNegative() {
        return Arbitraries.frequencyOf(List.of(
                        Tuple.of(1, Arbitraries.longs().between(0, Long.MAX_VALUE)),
                        Tuple.of(2, Arbitraries.longs().between(0, 300)),
                        Tuple.of(3, Arbitraries.longs().between(0, 10_000_000_000L))))
                .list().ofMinSize(1).ofMaxSize(2_000);
    }

    @Provide
    Arbitrary<List<Long>> many() {
        return values().list().ofMaxSize(2_000);
    }
}
