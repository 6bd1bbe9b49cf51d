package org.fleettap.collector.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.fleettap.proto.v1.KeyPart;

/** Property tests: the byte order of encoded keys is their logical order. */
class OrderedKeyPropertyTest {
    /** An aggregate key's logical parts. */
    record WindowKey(String session, String name, List<KeyPart> key, String host, Resolution resolution, long start,
            long sequence) {
        WindowKey {
            if (resolution != Resolution.SECOND) {
                sequence = 0;
            }
        }

        byte[] encode() {
            byte[] series = AggregateKeys.series(session, name, key, host);
            return resolution == Resolution.SECOND ? AggregateKeys.second(series, start, sequence)
                    : AggregateKeys.window(series, resolution, start);
        }
    }

    static final Comparator<WindowKey> LOGICAL = Comparator.comparing(WindowKey::session, LogicalOrder.STRINGS)
            .thenComparing(WindowKey::name, LogicalOrder.STRINGS)
            .thenComparing(WindowKey::key, LogicalOrder.TUPLES)
            .thenComparing(WindowKey::host, LogicalOrder.STRINGS)
            .thenComparing(WindowKey::resolution)
            .thenComparingLong(WindowKey::start)
            .thenComparingLong(WindowKey::sequence);

    @Property(tries = 3000)
    void byteOrderIsLogicalOrder(@ForAll("windowKeys") WindowKey a, @ForAll("windowKeys") WindowKey b) {
        assertThat(Integer.signum(Arrays.compareUnsigned(a.encode(), b.encode())))
                .isEqualTo(Integer.signum(LOGICAL.compare(a, b)));
    }

    @Property(tries = 1000)
    void decodesWhatItEncoded(@ForAll("windowKeys") WindowKey a) {
        byte[] bytes = a.encode();
        OrderedKey.Reader r = new OrderedKey.Reader(bytes);
        String session = r.getString();
        String name = r.getString();
        List<KeyPart> key = r.getKey();
        String host = r.getString();
        Resolution res = Resolution.ofCode(r.getByte());
        long start = r.getLong();
        WindowKey back = new WindowKey(session, name, key, host, res, start, res == Resolution.SECOND ? r.getLong() : 0);
        assertThat(back).isEqualTo(a);
        assertThat(r.atEnd()).isTrue();
        AggregateKeys.Parsed p = AggregateKeys.parse(bytes);
        assertThat(p.resolution()).isEqualTo(a.resolution());
        assertThat(p.start()).isEqualTo(a.start());
        assertThat(p.sequence()).isEqualTo(a.sequence());
    }

    @Property(tries = 1000)
    void aSeriesPrefixCoversExactlyItsWindows(@ForAll("windowKeys") WindowKey a, @ForAll("windowKeys") WindowKey b) {
        byte[] prefix = AggregateKeys.series(a.session(), a.name(), a.key(), a.host());
        byte[] key = b.encode();
        boolean sameSeries = a.session().equals(b.session()) && a.name().equals(b.name()) && a.key().equals(b.key())
                && a.host().equals(b.host());
        boolean inRange = Arrays.compareUnsigned(key, prefix) >= 0
                && Arrays.compareUnsigned(key, OrderedKey.prefixEnd(prefix)) < 0;
        assertThat(inRange).isEqualTo(sameSeries);
        assertThat(OrderedKey.startsWith(key, prefix)).isEqualTo(sameSeries);
    }

    @Property(tries = 1000)
    void aStatisticPrefixCoversAllItsKeysAndHosts(@ForAll("windowKeys") WindowKey a, @ForAll("windowKeys") WindowKey b) {
        byte[] prefix = AggregateKeys.statistic(a.session(), a.name());
        byte[] key = b.encode();
        boolean same = a.session().equals(b.session()) && a.name().equals(b.name());
        boolean inRange = Arrays.compareUnsigned(key, prefix) >= 0
                && Arrays.compareUnsigned(key, OrderedKey.prefixEnd(prefix)) < 0;
        assertThat(inRange).isEqualTo(same);
    }

    @Provide
    Arbitrary<WindowKey> windowKeys() {
        Arbitrary<String> strings = strings();
        Arbitrary<KeyPart> parts = Arbitraries.oneOf(
                Arbitraries.longs().edgeCases(c -> c.includeOnly(Long.MIN_VALUE, -1L, 0L, 1L, Long.MAX_VALUE))
                        .map(TestBatches::k),
                strings.map(TestBatches::k));
        Arbitrary<List<KeyPart>> tuples = parts.list().ofMaxSize(3);
        Arbitrary<Long> starts = Arbitraries.oneOf(Arbitraries.longs(),
                Arbitraries.of(Long.MIN_VALUE, -1L, 0L, 1L, Long.MAX_VALUE, 255L, 256L, -256L));
        Arbitrary<Long> sequences = Arbitraries.longs().between(1, Long.MAX_VALUE);
        return Combinators.combine(strings, strings, tuples, strings, Arbitraries.of(Resolution.class), starts,
                sequences).as(WindowKey::new);
    }

    /** Short strings over characters that stress the encoding: NUL, 0x01, 0xFF, multi-byte, surrogate pairs. */
    static Arbitrary<String> strings() {
        Arbitrary<String> chars = Arbitraries.of("\u0000", "\u0001", "a", "b", "\u00ff", "\u0100", "\u07ff",
                "\ud7ff", "\ue000", "\uffff", "\ud83d\ude00", "\udbff\udfff");
        return chars.list().ofMaxSize(4).map(l -> String.join("", l));
    }
}
