package org.fleettap.collector.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fleettap.collector.store.TestBatches.k;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class OrderedKeyTest {
    @Test
    void stringsSortByCodePointNotByUtf16() {
        // U+E000 is above the surrogates in UTF-16 but below U+1F600 by code point.
        byte[] bmp = new OrderedKey.Writer().putString("\ue000").toBytes();
        byte[] astral = new OrderedKey.Writer().putString("\ud83d\ude00").toBytes();
        assertThat(Arrays.compareUnsigned(bmp, astral)).isNegative();
        assertThat("\ue000".compareTo("\ud83d\ude00")).isPositive();
    }

    @Test
    void aStringSortsBeforeItsExtensionsIncludingByNul() {
        byte[] a = new OrderedKey.Writer().putString("a").putLong(Long.MAX_VALUE).toBytes();
        byte[] aNul = new OrderedKey.Writer().putString("a\u0000").putLong(Long.MIN_VALUE).toBytes();
        byte[] ab = new OrderedKey.Writer().putString("ab").toBytes();
        assertThat(Arrays.compareUnsigned(a, aNul)).isNegative();
        assertThat(Arrays.compareUnsigned(aNul, ab)).isNegative();
    }

    @Test
    void encodesLongsBigEndianWithTheSignFlipped() {
        assertThat(new OrderedKey.Writer().putLong(0).toBytes())
                .containsExactly(0x80, 0, 0, 0, 0, 0, 0, 0);
        assertThat(new OrderedKey.Writer().putLong(-1).toBytes())
                .containsExactly(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
        assertThat(new OrderedKey.Writer().putString("a\u0000").toBytes()).containsExactly('a', 0, 0xff, 0, 1);
        assertThat(new OrderedKey.Writer().putKey(List.of(k(1), k("x"))).toBytes())
                .containsExactly(1, 0x80, 0, 0, 0, 0, 0, 0, 1, 2, 'x', 0, 1, 0);
    }

    @Test
    void prefixEndIncrementsTheLastByteBelow0xFF() {
        assertThat(OrderedKey.prefixEnd(new byte[] {1, 2})).containsExactly(1, 3);
        assertThat(OrderedKey.prefixEnd(new byte[] {1, (byte) 0xff, (byte) 0xff})).containsExactly(2);
        assertThatThrownBy(() -> OrderedKey.prefixEnd(new byte[] {(byte) 0xff}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsTruncatedAndBadKeys() {
        assertThatThrownBy(() -> new OrderedKey.Reader(new byte[] {'a', 0}).getString())
                .hasMessageContaining("key ends");
        assertThatThrownBy(() -> new OrderedKey.Reader(new byte[] {'a', 0, 7}).getString())
                .hasMessageContaining("bad string escape");
        assertThatThrownBy(() -> new OrderedKey.Reader(new byte[] {9}).getKey())
                .hasMessageContaining("bad key part tag 0x9");
    }
}
