package org.fleettap.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * Fuzzes the collector's reading of aggregates from the wire ({@link MergeableAggregate#parse}, {@link AggregateWire},
 * {@link WireReader}): random bytes and edits of real aggregates either read as an aggregate that holds together
 * (re-encoded, it reads back equal; its summary and quantiles lie within min..max) or are refused with {@link
 * InvalidProtocolBufferException} or {@link InvalidAggregateException} and a one-line message. Nothing else may come
 * out: no {@code IndexOutOfBounds}, {@code NegativeArraySize}, {@code OutOfMemoryError} or {@code ArithmeticException}.
 */
@AddLifecycleHook(FuzzTries.class)
class AggregateWireFuzzTest {
    /** One edit of a serialized aggregate; {@code at} is taken modulo the length. */
    record Edit(Kind kind, int at, long value) {
        enum Kind {
            XOR_BYTE, VARINT_OVER, CUT, DROP_BYTE, INSERT_VARINT
        }

        byte[] apply(byte[] in) {
            if (in.length == 0) {
                return in;
            }
            int p = at % in.length;
            return switch (kind) {
                case XOR_BYTE -> {
                    byte[] out = in.clone();
                    out[p] ^= (byte) (value | 1);
                    yield out;
                }
                case VARINT_OVER -> splice(in, p, Math.min(varint(value).length, in.length - p), varint(value));
                case CUT -> Arrays.copyOf(in, p);
                case DROP_BYTE -> splice(in, p, 1, new byte[0]);
                case INSERT_VARINT -> splice(in, p, 0, varint(value));
            };
        }

        private static byte[] splice(byte[] in, int at, int remove, byte[] insert) {
            byte[] out = new byte[in.length - remove + insert.length];
            System.arraycopy(in, 0, out, 0, at);
            System.arraycopy(insert, 0, out, at, insert.length);
            System.arraycopy(in, at + remove, out, at + insert.length, in.length - at - remove);
            return out;
        }

        static byte[] varint(long v) {
            byte[] b = new byte[10];
            int n = 0;
            while ((v & ~0x7FL) != 0) {
                b[n++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            b[n++] = (byte) v;
            return Arrays.copyOf(b, n);
        }
    }

    @Provide
    Arbitrary<List<Edit>> edits() {
        Arbitrary<Long> values = Arbitraries.oneOf(
                Arbitraries.of(0L, 1L, 2L, 0x7fL, 0x80L, 0xffffL, 0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL,
                        Long.MAX_VALUE, Long.MIN_VALUE, -1L),
                Arbitraries.longs());
        return Combinators.combine(Arbitraries.of(Edit.Kind.class), Arbitraries.integers().greaterOrEqual(0), values)
                .as(Edit::new).list().ofMinSize(1).ofMaxSize(6);
    }

    @Provide
    Arbitrary<MergeableAggregate> aggregates() {
        Arbitrary<Long> value = Arbitraries.oneOf(Arbitraries.longs().between(-1000, 1000), Arbitraries.longs(),
                Arbitraries.of(0L, Long.MIN_VALUE, Long.MAX_VALUE, -1L));
        return value.list().ofMinSize(0).ofMaxSize(40).map(vs -> {
            MergeableAggregate a = new MergeableAggregate();
            vs.forEach(a::record);
            return a;
        });
    }

    @Property
    void randomBytes(@ForAll @Size(max = 200) byte[] bytes) {
        readOrRefuse(bytes);
    }

    @Property
    void editedAggregates(@ForAll("aggregates") MergeableAggregate a, @ForAll("edits") List<Edit> edits) {
        byte[] bytes = a.toProto().toByteArray();
        assertThat(read(bytes)).isEqualTo(a);
        for (Edit e : edits) {
            bytes = e.apply(bytes);
        }
        readOrRefuse(bytes);
    }

    /** {@link WireReader} alone: field by field over random bytes, it ends at the limit or refuses; never past it. */
    @Property
    void wireReaderWalksRandomBytes(@ForAll @Size(max = 200) byte[] bytes, @ForAll @Size(max = 8) byte[] around) {
        byte[] buf = new byte[around.length + bytes.length + around.length];
        System.arraycopy(bytes, 0, buf, around.length, bytes.length);
        WireReader in = new WireReader(buf, around.length, bytes.length);
        int limit = around.length + bytes.length;
        try {
            for (int tag = in.tag(); tag != 0; tag = in.tag()) {
                if ((tag & 7) == 2) {
                    int n = in.length();
                    assertThat(in.position() + n).isLessThanOrEqualTo(limit);
                    assertThat(in.countVarints(n)).isBetween(0, n);
                    in.string(n);
                } else {
                    in.skip(tag);
                }
                assertThat(in.position()).isLessThanOrEqualTo(limit);
            }
            assertThat(in.position()).isEqualTo(limit);
        } catch (InvalidProtocolBufferException e) {
            assertOneLine(e.getMessage());
        }
    }

    /** Found by {@link #randomBytes}: a packed list ending in 0xff read its last number on past its end. */
    @Example
    void aPackedListWhoseLastNumberRunsPastItsEndIsRefused() {
        byte[] bytes = {50, 4, 0, 0, 0, -1, 0};
        assertThatThrownBy(() -> MergeableAggregate.parse(bytes, 0, bytes.length))
                .isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessage("a packed list's last number runs past its end");
    }

    /** Found by {@link #editedAggregates}: the same in a sketch's bucket counts. */
    @Example
    void aPackedBucketListWhoseLastNumberRunsPastItsEndIsRefused() {
        byte[] bytes = {8, 7, 16, 28, 24, 1, 32, 10, 40, 1, 50, 5, 1, 1, 1, 2, -125, 58, 28, 8, 2, 18, 16, 10, 6, 0, 1,
            1, 1, 1, 1, 18, 6, 1, 1, 1, 1, 1, 1, 26, 6, 10, 1, 1, 18, 1, 1};
        assertThatThrownBy(() -> MergeableAggregate.parse(bytes, 0, bytes.length))
                .isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessage("a packed list's last number runs past its end");
    }

    /** A length varint above 32 bits is cut to its low 32 bits, as protobuf's own reader does (here: 1). */
    @Example
    void aLengthVarintAbove32BitsIsCutAsProtobufCutsIt() {
        // Field 7 (quantiles) with a length of 2^32 + 1, then one byte: a sketch holding a bare DIGITS tag.
        byte[] bytes = {0x3a, (byte) 0x81, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x10, 0x08};
        assertThatThrownBy(() -> MergeableAggregate.parse(bytes, 0, bytes.length))
                .isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessageStartingWith("While parsing a protocol message, the input ended unexpectedly");
    }

    private static void readOrRefuse(byte[] bytes) {
        MergeableAggregate a;
        try {
            a = read(bytes);
        } catch (AssertionError e) {
            throw e;
        } catch (RuntimeException e) {
            throw new AssertionError("parse threw " + e + " for " + Arrays.toString(bytes), e);
        }
        if (a == null) {
            return;
        }
        // What was accepted holds together.
        assertThat(read(a.toProto().toByteArray())).isEqualTo(a);
        if (!a.isEmpty()) {
            assertThat(a.min()).isLessThanOrEqualTo(a.max());
            for (double q : new double[] {0.0, 0.5, 0.99, 1.0}) {
                assertThat(a.quantile(q)).isBetween(a.min(), a.max());
            }
            assertThat(a.summary()).isNotNull();
        }
    }

    /** The aggregate, or null when refused with a one-line message. */
    private static MergeableAggregate read(byte[] bytes) {
        try {
            return MergeableAggregate.parse(bytes, 0, bytes.length);
        } catch (InvalidProtocolBufferException | InvalidAggregateException e) {
            assertOneLine(e.getMessage());
            return null;
        }
    }

    private static void assertOneLine(String message) {
        assertThat(message).isNotBlank().doesNotContain("\n").doesNotContain("\r");
    }
}
