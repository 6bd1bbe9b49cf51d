package org.fleettap.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Consumer;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.fleettap.proto.v1.Aggregate;
import org.fleettap.proto.v1.HdrBuckets;
import org.fleettap.proto.v1.QuantileSketch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

final class MergeableAggregateTest {

    private static MergeableAggregate of(long... values) {
        MergeableAggregate a = new MergeableAggregate();
        for (long v : values) {
            a.record(v);
        }
        return a;
    }

    @Test
    void emptyHasZeroCountAndSumAndRefusesTheRest() {
        MergeableAggregate empty = new MergeableAggregate();

        assertThat(empty.isEmpty()).isTrue();
        assertThat(empty.count()).isZero();
        assertThat(empty.sum()).isZero();
        for (int b = Log2Buckets.MIN_INDEX; b <= Log2Buckets.MAX_INDEX; b++) {
            assertThat(empty.log2Bucket(b)).isZero();
        }
        for (ThrowingCallable read : new ThrowingCallable[] {
            empty::min, empty::max, empty::avg, () -> empty.quantile(0.5), empty::summary}) {
            assertThatThrownBy(read).isInstanceOf(IllegalStateException.class).hasMessage("empty aggregate");
        }
        assertThat(empty).hasToString("MergeableAggregate[empty]");
    }

    @Test
    void mergingEmptyChangesNothing() {
        MergeableAggregate a = of(-3, 0, 5);
        MergeableAggregate before = a.copy();

        a.merge(new MergeableAggregate());
        assertThat(a).isEqualTo(before);

        MergeableAggregate empty = new MergeableAggregate();
        empty.merge(a);
        assertThat(empty).isEqualTo(a);
        assertThat(empty.min()).isEqualTo(-3);
        assertThat(empty.max()).isEqualTo(5);
    }

    @Test
    void emptyGoesOnTheWireAsCountZeroAlone() throws Exception {
        Aggregate message = new MergeableAggregate().toProto();

        assertThat(message).isEqualTo(Aggregate.getDefaultInstance());
        assertThat(message.hasMin()).isFalse();
        assertThat(message.hasQuantiles()).isFalse();
        assertThat(MergeableAggregate.fromProto(message).isEmpty()).isTrue();
    }

    @Test
    void tenThousandCallsOfOneValue() {
        MergeableAggregate a = new MergeableAggregate();
        for (int i = 0; i < 10_000; i++) {
            a.record(7);
        }

        assertThat(a.summary()).isEqualTo(new Summary(10_000, 70_000, 7, 7, 7, 7, 7, 7));
        assertThat(a.log2Bucket(3)).isEqualTo(10_000);
    }

    /**
     * 1..10000: exact count, sum, extremes, average and buckets; quantiles are the largest value of
     * the sketch bucket of the exact one (buckets 32 wide in [4096, 8192), 64 wide in [8192, 16384)).
     */
    @Test
    void oneToTenThousand() {
        MergeableAggregate a = of(LongStream.rangeClosed(1, 10_000).toArray());

        assertThat(a.count()).isEqualTo(10_000);
        assertThat(a.sum()).isEqualTo(50_005_000);
        assertThat(a.min()).isEqualTo(1);
        assertThat(a.max()).isEqualTo(10_000);
        assertThat(a.avg()).isEqualTo(5_000); // 5000.5 truncated
        // exact p50 = 5000 in [4992, 5024); p90 = 9000 in [8960, 9024); p99 = 9900 in [9856, 9920)
        assertThat(a.quantile(0.5)).isEqualTo(5_023);
        assertThat(a.quantile(0.9)).isEqualTo(9_023);
        assertThat(a.quantile(0.99)).isEqualTo(9_919);
        assertThat(a.quantile(0)).isEqualTo(1);
        assertThat(a.quantile(1)).isEqualTo(10_000); // rank count is max, exactly
        for (int b = 1; b <= 13; b++) {
            assertThat(a.log2Bucket(b)).as("bucket %d", b).isEqualTo(1L << (b - 1));
        }
        assertThat(a.log2Bucket(14)).isEqualTo(10_000 - 8_191);
        assertThat(a.log2Bucket(0)).isZero();
        assertThat(a.log2Bucket(15)).isZero();
    }

    @Test
    void valuesBelow256AreExactInTheSketch() {
        MergeableAggregate a = of(LongStream.range(0, 256).toArray());

        for (int rank = 1; rank <= 256; rank++) {
            assertThat(a.quantile(rank / 256.0)).isEqualTo(rank - 1);
        }
    }

    @Test
    void negativeValuesAndZero() {
        MergeableAggregate a = of(-5, 0, 3, -1000, 1000);

        assertThat(a.summary()).isEqualTo(new Summary(5, -2, -1000, 1000, 0, 0, 1000, 1000));
        assertThat(a.quantile(0)).isEqualTo(-1000);
        assertThat(a.quantile(0.2)).isEqualTo(-1000);
        assertThat(a.quantile(0.4)).isEqualTo(-5);
        assertThat(a.quantile(0.8)).isEqualTo(3);
        assertThat(a.log2Bucket(-10)).isEqualTo(1); // -1000: 10 bits
        assertThat(a.log2Bucket(-3)).isEqualTo(1);
        assertThat(a.log2Bucket(0)).isEqualTo(1);
        assertThat(a.log2Bucket(2)).isEqualTo(1);
        assertThat(a.log2Bucket(10)).isEqualTo(1);
    }

    /** -100000 lies in the magnitude bucket [99840, 100352): the estimate is that bucket's -99840. */
    @Test
    void negativeQuantileIsTheLargestValueOfItsBucket() {
        MergeableAggregate a = of(-100_000, -100_000, 5);

        assertThat(a.quantile(0.5)).isEqualTo(-99_840);
        assertThat(a.quantile(0)).isEqualTo(-100_000); // rank 1 is min, exactly
    }

    @Test
    void averageTruncatesTowardZeroAsC() {
        assertThat(of(-1, -2).avg()).isEqualTo(-1);
        assertThat(of(1, 2).avg()).isEqualTo(1);
    }

    @Test
    void sumWrapsIn64Bits() {
        MergeableAggregate a = of(Long.MAX_VALUE, 1);
        assertThat(a.sum()).isEqualTo(Long.MIN_VALUE);

        MergeableAggregate b = of(Long.MAX_VALUE);
        b.merge(of(Long.MAX_VALUE));
        assertThat(b.sum()).isEqualTo(-2);
    }

    @Test
    void extremeValues() throws Exception {
        MergeableAggregate a = of(Long.MIN_VALUE, Long.MAX_VALUE, 0);

        assertThat(a.min()).isEqualTo(Long.MIN_VALUE);
        assertThat(a.max()).isEqualTo(Long.MAX_VALUE);
        assertThat(a.log2Bucket(-64)).isEqualTo(1);
        assertThat(a.log2Bucket(63)).isEqualTo(1);
        assertThat(a.quantile(0)).isEqualTo(Long.MIN_VALUE);
        assertThat(a.quantile(0.5)).isZero();
        assertThat(a.quantile(1)).isEqualTo(Long.MAX_VALUE);
        assertThat(MergeableAggregate.fromProto(a.toProto())).isEqualTo(a);
    }

    @ParameterizedTest(name = "q = {0}")
    @ValueSource(doubles = {-0.01, 1.01, Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY})
    void quantileOutsideZeroToOneIsRefused(double q) {
        assertThatThrownBy(() -> of(1).quantile(q))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("quantile must be within [0, 1], got " + q);
    }

    @Test
    void mergeIntoItselfDoubles() {
        MergeableAggregate a = of(1, 2, -3);
        a.merge(a);

        assertThat(a).isEqualTo(of(1, 2, -3, 1, 2, -3));
    }

    @Test
    void mergeLeavesItsArgumentAlone() {
        MergeableAggregate a = of(1, 2);
        MergeableAggregate b = of(300, -4);
        MergeableAggregate bBefore = b.copy();

        a.merge(b);
        a.record(99);

        assertThat(b).isEqualTo(bBefore);
        assertThat(a).isEqualTo(of(1, 2, 300, -4, 99));
    }

    @Test
    void copyIsIndependent() {
        MergeableAggregate a = of(5, -6);
        MergeableAggregate c = a.copy();
        c.record(1_000_000);

        assertThat(a).isEqualTo(of(5, -6));
        assertThat(c).isEqualTo(of(5, -6, 1_000_000));
    }

    @Test
    void wireMessageOfKnownValues() {
        Aggregate m = of(3, 1, 1, 300, -2).toProto();

        assertThat(m.getCount()).isEqualTo(5);
        assertThat(m.getSum()).isEqualTo(303);
        assertThat(m.getMin()).isEqualTo(-2);
        assertThat(m.getMax()).isEqualTo(300);
        assertThat(m.getLog2FirstBucket()).isEqualTo(-2);
        // buckets -2 (-2), -1, 0, 1 (1, 1), 2 (3), 3..8, 9 (300)
        assertThat(m.getLog2CountsList()).containsExactly(1L, 0L, 0L, 2L, 1L, 0L, 0L, 0L, 0L, 0L, 0L, 1L);
        QuantileSketch q = m.getQuantiles();
        assertThat(q.getSignificantValueDigits()).isEqualTo(2);
        // 300 falls in [300, 302): buckets are 2 wide in [256, 512)
        assertThat(q.getNonNegative().getLowestValueDeltasList()).containsExactly(1L, 2L, 297L);
        assertThat(q.getNonNegative().getCountsList()).containsExactly(2L, 1L, 1L);
        assertThat(q.getNegativeMagnitudes().getLowestValueDeltasList()).containsExactly(2L);
        assertThat(q.getNegativeMagnitudes().getCountsList()).containsExactly(1L);
    }

    @Test
    void roundTripThroughBytes() throws Exception {
        MergeableAggregate a = of(LongStream.range(-5_000, 100_000).map(v -> v * 37).toArray());

        Aggregate parsed = Aggregate.parseFrom(a.toProto().toByteArray());
        MergeableAggregate back = MergeableAggregate.fromProto(parsed);

        assertThat(back).isEqualTo(a);
        assertThat(back.summary()).isEqualTo(a.summary());
        assertThat(back.toProto()).isEqualTo(a.toProto());
    }

    static Stream<Arguments> corruptMessages() {
        Aggregate good = of(-2, 1, 3, 300).toProto();
        return Stream.of(
                corrupt("count 0 with values", good, b -> b.setCount(0),
                        "empty aggregate (count 0) carries values"),
                corrupt("count above 2^63", good, b -> b.setCount(-1),
                        "count 18446744073709551615 is too large"),
                corrupt("no min", good, Aggregate.Builder::clearMin,
                        "count is 4 but min or max is missing"),
                corrupt("min above max", good, b -> b.setMin(301),
                        "min 301 is above max 300"),
                corrupt("buckets not starting at min's", good, b -> b.setLog2FirstBucket(-1),
                        "log2 buckets -1..10 do not span the buckets of min and max, -2..9"),
                corrupt("buckets not reaching max's", good, b -> b.setLog2Counts(11, 0),
                        "log2 bucket 9 of min or max is empty"),
                corrupt("bucket counts not adding up", good, b -> b.setLog2Counts(3, 2),
                        "log2 counts add up to 5, count is 4"),
                corrupt("bucket count above 2^63", good, b -> b.setLog2Counts(3, -1),
                        "log2 bucket 1 count 18446744073709551615 is too large"),
                corrupt("no sketch", good, Aggregate.Builder::clearQuantiles,
                        "count is 4 but the quantile sketch is missing"),
                corrupt("other precision", good, b -> b.getQuantilesBuilder().setSignificantValueDigits(3),
                        "quantile sketch has 3 significant value digits; this reader uses 2"),
                corrupt("value inside a bucket", good,
                        b -> b.getQuantilesBuilder().getNonNegativeBuilder().setLowestValueDeltas(2, 297 + 1),
                        "quantile sketch non-negative bucket 2: 301 is not where a bucket starts"),
                corrupt("values out of order", good,
                        b -> b.getQuantilesBuilder().getNonNegativeBuilder().setLowestValueDeltas(1, 0),
                        "quantile sketch non-negative bucket 1: value delta 0 after 1 is out of order or range"),
                corrupt("zero count", good,
                        b -> b.getQuantilesBuilder().getNonNegativeBuilder().setCounts(0, 0),
                        "quantile sketch non-negative bucket 0: count 0 is not positive or too large"),
                corrupt("lists of different lengths", good,
                        b -> b.getQuantilesBuilder().getNonNegativeBuilder().addCounts(1),
                        "quantile sketch non-negative part has 3 values and 4 counts, 3 recorded"),
                corrupt("sketch counts not matching buckets", good,
                        b -> b.getQuantilesBuilder().getNonNegativeBuilder().setCounts(0, 2),
                        "quantile sketch non-negative counts add up to 4, the log2 buckets hold 3"),
                corrupt("negative part without negative values",
                        of(1, 2).toProto(),
                        b -> b.getQuantilesBuilder().setNegativeMagnitudes(
                                HdrBuckets.newBuilder().addLowestValueDeltas(1).addCounts(1)),
                        "quantile sketch has negative buckets but no negative value was recorded"));
    }

    private static Arguments corrupt(String name, Aggregate good, Consumer<Aggregate.Builder> change,
            String message) {
        Aggregate.Builder b = good.toBuilder();
        change.accept(b);
        return Arguments.of(name, b.build(), message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptMessages")
    void corruptMessagesAreRejectedWithWhatIsWrong(String name, Aggregate message, String error) {
        assertThatThrownBy(() -> MergeableAggregate.fromProto(message))
                .isInstanceOf(InvalidAggregateException.class)
                .hasMessage(error);
    }
}
