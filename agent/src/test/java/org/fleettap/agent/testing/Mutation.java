package org.fleettap.agent.testing;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ArbitrarySupplier;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * One edit of a byte string for the fuzz tests: a flipped byte, an interesting value written over a field, a
 * truncation, a deleted or duplicated span. Positions are drawn as non-negative ints and taken modulo the input's
 * length, so one edit applies to any input and jqwik shrinks it towards the start and towards small spans.
 */
public sealed interface Mutation {
    /** Values that break length and offset checks: zero, one past, sign and width boundaries. */
    long[] INTERESTING = {0, 1, 2, 7, 8, 0x10, 0x40, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x1_0000,
        0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL, 0x1_0000_0000L, Long.MAX_VALUE, Long.MIN_VALUE, -1, -8};

    /** The edited copy; {@code in} is not changed. */
    byte[] apply(byte[] in);

    /** Applies {@code edits} in order. */
    static byte[] applyAll(byte[] in, List<Mutation> edits) {
        byte[] out = in;
        for (Mutation m : edits) {
            out = m.apply(out);
        }
        return out;
    }

    /** One to {@code max} edits of any kind. */
    static Arbitrary<List<Mutation>> lists(int max) {
        return any().list().ofMinSize(1).ofMaxSize(max);
    }

    /** For {@code @ForAll(supplier = Mutation.Edits.class) List<Mutation> edits}: one to six edits. */
    final class Edits implements ArbitrarySupplier<List<Mutation>> {
        @Override
        public Arbitrary<List<Mutation>> get() {
            return lists(6);
        }
    }

    /** What an edit of one span does with bytes {@code [from, from + n)} of the input. */
    interface SpanEdit {
        byte[] apply(int from, int n);
    }

    /** Applies {@code edit} to the span of {@code length} bytes at {@code at} (modulo the length); empty stays empty. */
    private static byte[] onSpan(byte[] in, int at, int length, SpanEdit edit) {
        if (in.length == 0) {
            return in;
        }
        int from = at % in.length;
        return edit.apply(from, Math.min(length, in.length - from));
    }

    /** An edit of any kind, value writes and flips most often. */
    static Arbitrary<Mutation> any() {
        Arbitrary<Integer> at = Arbitraries.integers().greaterOrEqual(0);
        Arbitrary<Integer> span = Arbitraries.integers().between(1, 64);
        return Arbitraries.frequencyOf(
                Tuple.of(4, Combinators.combine(at, Arbitraries.integers().between(1, 255))
                        .as(Flip::new)),
                Tuple.of(4, Combinators.combine(at, Arbitraries.of(1, 2, 4, 8), values())
                        .as(Write::new)),
                Tuple.of(1, at.map(Truncate::new)),
                Tuple.of(1, Combinators.combine(at, span).as(Delete::new)),
                Tuple.of(1, Combinators.combine(at, span, at).as(Duplicate::new)));
    }

    /** An interesting value, or any long. */
    static Arbitrary<Long> values() {
        return Arbitraries.oneOf(Arbitraries.of(Arrays.stream(INTERESTING).boxed().toList()), Arbitraries.longs());
    }

    /** Stores the low {@code width} bytes of {@code value} little-endian at {@code at} (clipped to the array). */
    static void putLe(byte[] bytes, long at, int width, long value) {
        for (int i = 0; i < width && at >= 0 && at + i < bytes.length; i++) {
            bytes[(int) at + i] = (byte) (value >>> (8 * i));
        }
    }

    /** XORs the byte at {@code at} with {@code mask}. */
    record Flip(int at, int mask) implements Mutation {
        @Override
        public byte[] apply(byte[] in) {
            byte[] out = in.clone();
            if (out.length > 0) {
                out[at % out.length] ^= (byte) mask;
            }
            return out;
        }
    }

    /** Writes {@code value} over a {@code width}-byte field aligned to its width. */
    record Write(int at, int width, long value) implements Mutation {
        @Override
        public byte[] apply(byte[] in) {
            byte[] out = in.clone();
            if (out.length >= width) {
                int slots = out.length / width;
                putLe(out, at % slots * width, width, value);
            }
            return out;
        }
    }

    /** Keeps the first {@code at} bytes (modulo the length). */
    record Truncate(int at) implements Mutation {
        @Override
        public byte[] apply(byte[] in) {
            return in.length == 0 ? in : Arrays.copyOf(in, at % in.length);
        }
    }

    /** Removes {@code length} bytes from {@code at}. */
    record Delete(int at, int length) implements Mutation {
        @Override
        public byte[] apply(byte[] in) {
            return onSpan(in, at, length, (from, n) -> {
                byte[] out = new byte[in.length - n];
                System.arraycopy(in, 0, out, 0, from);
                System.arraycopy(in, from + n, out, from, in.length - from - n);
                return out;
            });
        }
    }

    /** Inserts a copy of {@code length} bytes from {@code at} before position {@code to}. */
    record Duplicate(int at, int length, int to) implements Mutation {
        @Override
        public byte[] apply(byte[] in) {
            return onSpan(in, at, length, (from, n) -> {
                int where = to % (in.length + 1);
                byte[] out = new byte[in.length + n];
                System.arraycopy(in, 0, out, 0, where);
                System.arraycopy(in, from, out, where, n);
                System.arraycopy(in, where, out, where + n, in.length - where);
                return out;
            });
        }
    }
}
