package org.fleettap.collector.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fleettap.collector.store.TestBatches.T0;
import static org.fleettap.collector.store.TestBatches.batch;
import static org.fleettap.collector.store.TestBatches.k;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.Batch;

/**
 * Fuzzes the collector's batch reader ({@link WireBatch#decode}, {@link BatchDecoder}) with random bytes and edits of
 * real batches (flipped bytes, numbers written over fields, cuts, dropped and inserted bytes), against protobuf's own
 * parser: the reader refuses exactly the bytes protobuf refuses (an {@link InvalidProtocolBufferException} with a
 * one-line message), reads the same identity from the rest, and a batch it accepts is either refused by a rule with
 * a one-line reason or applied by a real store without an exception. Nothing else may come out of either.
 */
class BatchDecoderFuzzTest {
    private static final Batch[] SEEDS = {
        WireBatchTest.BATCH,
        batch("h", "s2", 1, T0).add("calls", List.of(k(1)), 1).build(),
        batch("h2", "s3", 3, T0).line(T0, "a line").line(T0 + 1, "another").build(),
    };

    /**
     * The one refusal protobuf-java need not share: its fast path returns some varints of more than ten bytes (which
     * the wire format forbids) after nine or ten of them and reads on; the decoder refuses them (see {@link
     * #aVarintOfThirteenBytesIsRefused}).
     */
    private static final String MALFORMED_VARINT = "CodedInputStream encountered a malformed varint.";

    private static final java.util.concurrent.atomic.AtomicLong NEXT_SEQUENCE =
            new java.util.concurrent.atomic.AtomicLong();
    private static Path dir;
    private static Store store;

    @BeforeContainer
    static void openStore() throws IOException {
        dir = Files.createTempDirectory("batch-fuzz");
        store = Store.open(dir.resolve("store"), StoreOptions.defaults());
    }

    @AfterContainer
    static void closeStore() throws IOException {
        store.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** One edit of a serialized batch; {@code at} is taken modulo the length. */
    record Edit(Kind kind, int at, long value) {
        enum Kind {
            XOR_BYTE, SET_BYTE, CUT, DROP_SPAN, COPY_SPAN
        }

        byte[] apply(byte[] in) {
            if (in.length == 0) {
                return in;
            }
            int p = at % in.length;
            int span = (int) Math.floorMod(value, 16) + 1;
            return switch (kind) {
                case XOR_BYTE -> {
                    byte[] out = in.clone();
                    out[p] ^= (byte) (value | 1);
                    yield out;
                }
                case SET_BYTE -> {
                    byte[] out = in.clone();
                    out[p] = (byte) value;
                    yield out;
                }
                case CUT -> Arrays.copyOf(in, p);
                case DROP_SPAN -> {
                    int n = Math.min(span, in.length - p);
                    byte[] out = new byte[in.length - n];
                    System.arraycopy(in, 0, out, 0, p);
                    System.arraycopy(in, p + n, out, p, in.length - p - n);
                    yield out;
                }
                case COPY_SPAN -> {
                    int n = Math.min(span, in.length - p);
                    int to = (int) Math.floorMod(value >>> 8, (long) in.length + 1);
                    byte[] out = new byte[in.length + n];
                    System.arraycopy(in, 0, out, 0, to);
                    System.arraycopy(in, p, out, to, n);
                    System.arraycopy(in, to, out, to + n, in.length - to);
                    yield out;
                }
            };
        }
    }

    @Provide
    Arbitrary<List<Edit>> edits() {
        Arbitrary<Long> values = Arbitraries.oneOf(Arbitraries.of(0L, 1L, 0x7fL, 0x80L, 0xffL, -1L),
                Arbitraries.longs());
        return Combinators.combine(Arbitraries.of(Edit.Kind.class), Arbitraries.integers().greaterOrEqual(0), values)
                .as(Edit::new).list().ofMinSize(1).ofMaxSize(6);
    }

    @Property
    void randomBytes(@ForAll @Size(max = 300) byte[] bytes) {
        Statistics.collect(outcome(check(bytes)));
    }

    @Property
    void editedBatches(@ForAll("seeds") Batch seed, @ForAll("edits") List<Edit> edits) {
        byte[] bytes = seed.toByteArray();
        for (Edit e : edits) {
            bytes = e.apply(bytes);
        }
        Statistics.collect(outcome(check(bytes)));
    }

    /**
     * Edits inside one delta's aggregate only, the batch around it intact, so that the edits reach the aggregate
     * checks and the store instead of stopping at the batch's envelope.
     */
    @Property
    void batchesWithAnEditedAggregate(@ForAll @Size(min = 1, max = 30) List<Long> values,
            @ForAll("edits") List<Edit> edits) {
        byte[] aggregate = TestBatches.aggregate(values.stream().mapToLong(Long::longValue).toArray()).toProto()
                .toByteArray();
        for (Edit e : edits) {
            aggregate = e.apply(aggregate);
        }
        // A new sequence number each try, so that the store applies what it accepts instead of answering DUPLICATE.
        Batch envelope = batch("h-agg", "s-agg", NEXT_SEQUENCE.incrementAndGet(), T0)
                .add("calls", List.of(k("x")), 1).build();
        byte[] delta = envelope.getAggregates(0).toBuilder().clearAggregate().build().toByteArray();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(envelope.toBuilder().clearAggregates().build().toByteArray());
        try {
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            ByteArrayOutputStream d = new ByteArrayOutputStream();
            CodedOutputStream dout = CodedOutputStream.newInstance(d);
            dout.writeRawBytes(delta);
            dout.writeByteArray(3, aggregate); // AggregateDelta.aggregate
            dout.flush();
            out.writeByteArray(6, d.toByteArray()); // Batch.aggregates
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Statistics.collect(outcome(check(bytes.toByteArray())));
    }

    @Provide
    Arbitrary<Batch> seeds() {
        return Arbitraries.of(SEEDS);
    }

    @Example
    void everySeedIsApplied() {
        for (Batch seed : SEEDS) {
            assertThat(check(seed.toByteArray())).isIn(AckStatus.ACK_STATUS_APPLIED, AckStatus.ACK_STATUS_DUPLICATE);
        }
    }

    /** Found by {@link #editedBatches}: protobuf-java reads this batch, window_end being a 13-byte varint. */
    @Example
    void aVarintOfThirteenBytesIsRefused() {
        byte[] bytes = {10, 1, 104, 18, 2, 115, 50, 24, 1, 40, -128, -108, -57, -33, -128, -128, -36, -126, -20, -113,
            -102, -117, 24};
        assertThatThrownBy(() -> WireBatch.decode(bytes)).isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessage(MALFORMED_VARINT);
    }

    private static String outcome(AckStatus status) {
        return status == null ? "not a batch" : status.name();
    }

    /** What became of {@code bytes}: null when refused as not a batch, else the store's answer. */
    private static AckStatus check(byte[] bytes) {
        Batch expected;
        try {
            expected = Batch.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            expected = null;
        }
        WireBatch w;
        try {
            w = WireBatch.decode(bytes);
        } catch (InvalidProtocolBufferException e) {
            assertOneLine(e.getMessage());
            if (!e.getMessage().equals(MALFORMED_VARINT)) {
                assertThat(expected).as("protobuf reads what the decoder refused (%s): %s", e.getMessage(),
                        Arrays.toString(bytes)).isNull();
            }
            return null;
        }
        assertThat(expected).as("protobuf refuses what the decoder read: %s", Arrays.toString(bytes)).isNotNull();
        assertThat(w.hostId()).isEqualTo(expected.getHostId());
        assertThat(w.sessionId()).isEqualTo(expected.getSessionId());
        assertThat(w.sequence()).isEqualTo(expected.getSequence());
        assertThat(w.malformed()).isFalse();
        if (w.rejection() != null) {
            assertOneLine(w.rejection());
        }
        ApplyResult r = store.applyWire(List.of(w), Map.of()).get(0);
        if (w.rejection() != null) {
            assertThat(r.status()).isEqualTo(AckStatus.ACK_STATUS_REJECTED);
            assertThat(r.error()).isEqualTo(w.rejection());
        } else {
            assertThat(r.status()).isIn(AckStatus.ACK_STATUS_APPLIED, AckStatus.ACK_STATUS_DUPLICATE);
        }
        return r.status();
    }

    private static void assertOneLine(String message) {
        assertThat(message).isNotBlank().doesNotContain("\n").doesNotContain("\r");
    }
}
