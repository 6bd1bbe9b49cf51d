package org.fleettap.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

final class Log2BucketsTest {

    /**
     * Value, bucket, label: each row was checked by compiling {@code _stp_val_to_bucket} and
     * {@code _stp_bucket_to_val} from SystemTap 4.8's runtime/stat-common.c and running them on the
     * value (bucket printed as the runtime's slot minus 64).
     */
    @ParameterizedTest(name = "{0} -> bucket {1} labelled {2}")
    @CsvSource({
        "0, 0, 0",
        "1, 1, 1",
        "2, 2, 2",
        "3, 2, 2",
        "4, 3, 4",
        "7, 3, 4",
        "8, 4, 8",
        "255, 8, 128",
        "256, 9, 256",
        "1023, 10, 512",
        "1024, 11, 1024",
        "4611686018427387903, 62, 2305843009213693952",
        "4611686018427387904, 63, 4611686018427387904",
        "9223372036854775807, 63, 4611686018427387904",
        "-1, -1, -1",
        "-2, -2, -2",
        "-3, -2, -2",
        "-4, -3, -4",
        "-7, -3, -4",
        "-8, -4, -8",
        "-9223372036854775807, -63, -4611686018427387904",
        "-9223372036854775808, -64, -9223372036854775808",
    })
    void bucketsAsStapsRuntime(long value, int bucket, long label) {
        assertThat(Log2Buckets.indexOf(value)).isEqualTo(bucket);
        assertThat(Log2Buckets.label(bucket)).isEqualTo(label);
    }

    @ParameterizedTest(name = "bucket {0} is runtime slot {1}")
    @CsvSource({"0, 64", "1, 65", "63, 127", "-1, 63", "-64, 0"})
    void stapSlotOffsetsByBucket0(int index, int slot) {
        assertThat(Log2Buckets.stapSlot(index)).isEqualTo(slot);
    }

    @ParameterizedTest(name = "bucket {0}")
    @ValueSource(ints = {-65, 64, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void rejectsIndexesOutsideTheHistogram(int index) {
        assertThatThrownBy(() -> Log2Buckets.label(index))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("log2 bucket " + index + " is outside -64..63");
        assertThatThrownBy(() -> Log2Buckets.stapSlot(index)).isInstanceOf(IllegalArgumentException.class);
    }

    /** The bucket is the bit length of the magnitude, negated for negative values. */
    @Property
    void bucketIsTheSignedBitLength(@ForAll long value) {
        int bitLength = BigInteger.valueOf(value).abs().bitLength();
        assertThat(Log2Buckets.indexOf(value)).isEqualTo(value < 0 ? -bitLength : bitLength);
    }

    /** Every value lies between its bucket's label and the next power of two, in magnitude. */
    @Property
    void labelIsTheBucketsSmallestMagnitude(@ForAll long value) {
        BigInteger magnitude = BigInteger.valueOf(value).abs();
        BigInteger label = BigInteger.valueOf(Log2Buckets.label(Log2Buckets.indexOf(value))).abs();
        assertThat(label).isLessThanOrEqualTo(magnitude);
        assertThat(magnitude).isLessThan(label.shiftLeft(1).max(BigInteger.ONE));
        assertThat(Long.signum(Log2Buckets.label(Log2Buckets.indexOf(value)))).isEqualTo(Long.signum(value));
    }
}
