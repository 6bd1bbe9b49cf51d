package org.fleettap.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.fleettap.agent.runtime.MapDecl.ValueKind;
import org.fleettap.agent.runtime.StapMap.Order;
import org.fleettap.agent.runtime.StapMap.StatField;
import org.junit.jupiter.api.Test;

class StapMapTest {
    @Test
    void missingKeysReadAsZeroOrEmpty_withoutInserting() {
        StapMap counts = new StapMap(MapDecl.of("counts", ValueKind.LONG, StapType.LONG));
        StapMap names = new StapMap(MapDecl.of("names", ValueKind.STRING, StapType.STRING));
        assertThat(counts.getLong(7)).isZero();
        assertThat(names.getString("x")).isEmpty();
        assertThat(counts.contains(7)).isFalse();
        assertThat(counts.size()).isZero();
    }

    @Test
    void incrementPutDeleteAndIn() {
        StapMap m = new StapMap(MapDecl.of("m", ValueKind.LONG, StapType.LONG));
        assertThat(m.add(5, 1)).isEqualTo(1);
        assertThat(m.add(5, 1)).isEqualTo(2);
        m.put(6, 0);
        assertThat(m.contains(6)).as("writing 0 keeps the key").isTrue();
        assertThat(m.size()).isEqualTo(2);
        assertThat(m.delete(5)).isTrue();
        assertThat(m.delete(5)).isFalse();
        assertThat(m.contains(5)).isFalse();
        m.clear();
        assertThat(m.size()).isZero();
        assertThat(m.contains(6)).isFalse();
    }

    @Test
    void tupleKeysOfMixedTypes() {
        StapMap m = new StapMap(MapDecl.of("m", ValueKind.STRING, StapType.STRING, StapType.LONG, StapType.STRING));
        StapMap.Key k = m.newKey();
        m.put(k.set(0, "a").set(1, 1).set(2, "x"), "one");
        m.put(k.set(0, "a").set(1, 2).set(2, "x"), "two");
        assertThat(m.getString(k.set(0, "a").set(1, 1).set(2, "x"))).isEqualTo("one");
        assertThat(m.contains(k.set(1, 3))).isFalse();
        assertThat(m.size()).isEqualTo(2);
        assertThatThrownBy(() -> k.set(1, "not a long")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.getString(5L)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void growingPastTheInitialArrays_keepsEveryValue_forEveryKeyShapeAndValueKind() {
        StapMap longs = new StapMap(MapDecl.of("l", ValueKind.LONG, StapType.LONG));
        StapMap strings = new StapMap(MapDecl.of("s", ValueKind.STRING, StapType.STRING));
        StapMap stats = new StapMap(MapDecl.of("t", ValueKind.STAT, StapType.LONG));
        StapMap tuples = new StapMap(MapDecl.of("u", ValueKind.STAT, StapType.STRING, StapType.LONG));
        StapMap.Key k = tuples.newKey();
        for (int i = 0; i < 1000; i++) {
            longs.put(i, i * 3L);
            strings.put("k" + i, "v" + i);
            stats.stat(i).add(i);
            tuples.stat(k.set(0, "k" + i).set(1, i)).add(i);
        }
        for (int i = 0; i < 1000; i++) {
            assertThat(longs.getLong(i)).isEqualTo(i * 3L);
            assertThat(strings.getString("k" + i)).isEqualTo("v" + i);
            assertThat(stats.statIfPresent(i).sum()).isEqualTo(i);
            assertThat(tuples.statIfPresent(k.set(0, "k" + i).set(1, i)).sum()).isEqualTo(i);
        }
    }

    @Test
    void overflowBeyondDefaultMaxMapEntries_isStapsArrayOverflowError() {
        StapMap m = new StapMap(MapDecl.of("a", ValueKind.LONG, StapType.LONG));
        for (int i = 0; i < MapDecl.DEFAULT_MAX_ENTRIES; i++) {
            m.add(i, 1);
        }
        m.add(0, 1); // existing keys still update
        assertThatThrownBy(() -> m.add(-1, 1))
                .isInstanceOf(StapRuntimeException.class)
                .hasMessage("Array overflow, check MAXMAPENTRIES near identifier 'a'");
        assertThat(m.size()).isEqualTo(2048);
    }

    @Test
    void overflowBeyondDeclaredSize_namesTheSizeLimit() {
        StapMap m = new StapMap(MapDecl.of("tiny", ValueKind.STAT, StapType.STRING).withMaxEntries(2));
        m.stat("x").add(1);
        m.stat("y").add(1);
        assertThatThrownBy(() -> m.stat("z"))
                .hasMessage("Array overflow, check size limit (2) near identifier 'tiny'");
        m.delete("x");
        m.stat("z").add(3); // room again after delete
        assertThat(m.size()).isEqualTo(2);
    }

    @Test
    void wrappingArray_replacesTheOldestEntry() {
        StapMap m = new StapMap(MapDecl.of("w", ValueKind.LONG, StapType.LONG).withMaxEntries(3).withWrap(true));
        for (long k = 1; k <= 5; k++) {
            m.put(k, k * 10);
        }
        assertThat(keysInOrder(m, Order.NONE)).containsExactly(3L, 4L, 5L);
    }

    @Test
    void foreach_unsortedIsInsertionOrder() {
        StapMap m = new StapMap(MapDecl.of("m", ValueKind.LONG, StapType.LONG));
        for (long k : new long[] {30, 10, 20}) {
            m.put(k, 1);
        }
        m.delete(10);
        m.put(10, 1);
        assertThat(keysInOrder(m, Order.NONE)).containsExactly(30L, 20L, 10L);
    }

    @Test
    void foreach_sortByValue_tiesKeepInsertionOrder_bothDirections() {
        StapMap m = new StapMap(MapDecl.of("m", ValueKind.LONG, StapType.LONG));
        long[][] data = {{1, 5}, {2, 7}, {3, 5}, {4, -1}, {5, 7}};
        for (long[] kv : data) {
            m.put(kv[0], kv[1]);
        }
        assertThat(keysInOrder(m, Order.byValue(1))).containsExactly(4L, 1L, 3L, 2L, 5L);
        assertThat(keysInOrder(m, Order.byValue(-1))).containsExactly(2L, 5L, 1L, 3L, 4L);
        assertThat(keysInOrder(m, Order.byValue(-1).withLimit(3))).containsExactly(2L, 5L, 1L);
        assertThat(keysInOrder(m, Order.byValue(1).withLimit(0))).isEmpty();
        assertThat(keysInOrder(m, Order.NONE.withLimit(2))).containsExactly(1L, 2L);
    }

    @Test
    void foreach_sortOnASecondKeyColumn_stringsInStrcmpOrder() {
        // foreach ([pid, name+] in m): sorts on column 2 only; ties keep insertion order
        StapMap m = new StapMap(MapDecl.of("m", ValueKind.LONG, StapType.LONG, StapType.STRING));
        StapMap.Key k = m.newKey();
        m.put(k.set(0, 1).set(1, "b"), 1);
        m.put(k.set(0, 2).set(1, "B"), 1);
        m.put(k.set(0, 3).set(1, "a"), 1);
        m.put(k.set(0, 4).set(1, "b"), 1);
        m.put(k.set(0, 5).set(1, "é"), 1); // UTF-8 0xC3 0xA9 sorts after ASCII
        m.put(k.set(0, 6).set(1, ""), 1);
        List<String> order = new ArrayList<>();
        StapMap.Cursor c = m.foreach(Order.byKey(1, 1));
        while (c.next()) {
            order.add(c.keyLong(0) + c.keyString(1));
        }
        assertThat(order).containsExactly("6", "2B", "3a", "1b", "4b", "5é");
        assertThat(keysInOrder(m, Order.byKey(0, -1))).containsExactly(6L, 5L, 4L, 3L, 2L, 1L);
    }

    @Test
    void foreach_statisticValuesSortByTheChosenAggregate() {
        StapMap m = new StapMap(MapDecl.of("s", ValueKind.STAT, StapType.LONG));
        addAll(m.stat(1), 100); // count 1, sum 100
        addAll(m.stat(2), 1, 1, 1); // count 3, sum 3
        addAll(m.stat(3), 10, 20); // count 2, sum 30, avg 15
        assertThat(keysInOrder(m, Order.byValue(-1))).as("plain '-' is @count").containsExactly(2L, 3L, 1L);
        assertThat(keysInOrder(m, Order.byValue(StatField.SUM, -1))).containsExactly(1L, 3L, 2L);
        assertThat(keysInOrder(m, Order.byValue(StatField.AVG, 1))).containsExactly(2L, 3L, 1L);
        assertThat(keysInOrder(m, Order.byValue(StatField.MIN, 1))).containsExactly(2L, 3L, 1L);
        assertThat(keysInOrder(m, Order.byValue(StatField.MAX, -1))).containsExactly(1L, 3L, 2L);
    }

    @Test
    void foreach_sortByStringValue() {
        StapMap m = new StapMap(MapDecl.of("m", ValueKind.STRING, StapType.LONG));
        m.put(1, "pear");
        m.put(2, "apple");
        m.put(3, "fig");
        assertThat(keysInOrder(m, Order.byValue(1))).containsExactly(2L, 3L, 1L);
    }

    @Test
    void stringKeysAndValuesAreCutToMaxStringLen() {
        StapMap m = new StapMap(MapDecl.of("m", ValueKind.STRING, StapType.STRING));
        String longKey = "k".repeat(600);
        m.put(longKey, "v".repeat(600));
        assertThat(m.contains("k".repeat(511))).isTrue();
        assertThat(m.contains("k".repeat(700))).as("also cut on lookup").isTrue();
        assertThat(m.getString(longKey)).hasSize(511);
    }

    @Test
    void randomOperationsAgreeWithAHashMapModel() {
        Random r = new Random(42);
        StapMap m = new StapMap(MapDecl.of("m", ValueKind.LONG, StapType.LONG, StapType.STRING).withMaxEntries(5000));
        Map<List<Object>, Long> model = new HashMap<>();
        StapMap.Key k = m.newKey();
        for (int i = 0; i < 200_000; i++) {
            long a = r.nextInt(300);
            String b = "s" + r.nextInt(10);
            k.set(0, a).set(1, b);
            List<Object> mk = List.of(a, b);
            switch (r.nextInt(4)) {
                case 0, 1 -> model.put(mk, m.add(k, 1));
                case 2 -> assertThat(m.delete(k)).isEqualTo(model.remove(mk) != null);
                default -> assertThat(m.getLong(k)).isEqualTo(model.getOrDefault(mk, 0L));
            }
        }
        assertThat(m.size()).isEqualTo(model.size());
        StapMap.Cursor c = m.foreach();
        int n = 0;
        while (c.next()) {
            assertThat(model.get(List.of(c.keyLong(0), c.keyString(1)))).isEqualTo(c.valueLong());
            n++;
        }
        assertThat(n).isEqualTo(model.size());
    }

    @Test
    void mergeFrom_addsStatisticsKeyByKey() {
        MapDecl decl = MapDecl.of("lat", ValueKind.STAT, StapType.STRING).withHistogram(HistogramSpec.log());
        StapMap host1 = new StapMap(decl);
        StapMap host2 = new StapMap(decl);
        addAll(host1.stat("a"), 1, 2);
        addAll(host2.stat("a"), 3);
        addAll(host2.stat("b"), 9);
        StapMap total = new StapMap(decl);
        total.mergeFrom(host1);
        total.mergeFrom(host2);
        assertThat(total.statIfPresent("a").count()).isEqualTo(3);
        assertThat(total.statIfPresent("a").sum()).isEqualTo(6);
        assertThat(total.statIfPresent("b").max()).isEqualTo(9);
        assertThat(total.statIfPresent("c")).isNull();
        assertThatThrownBy(() -> total.mergeFrom(new StapMap(MapDecl.of("x", ValueKind.STAT, StapType.STRING))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static List<Long> keysInOrder(StapMap m, Order order) {
        List<Long> keys = new ArrayList<>();
        StapMap.Cursor c = m.foreach(order);
        while (c.next()) {
            keys.add(c.keyLong(0));
        }
        return keys;
    }

    private static void addAll(Stat s, long... values) {
        for (long v : values) {
            s.add(v);
        }
    }
}
