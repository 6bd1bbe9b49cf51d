package org.fleettap.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.fleettap.agent.runtime.MapDecl.ValueKind;
import org.junit.jupiter.api.Test;

/**
 * The lines stap's synthetic end probe prints for unread globals (elaborate.cxx
 * add_global_var_display; expected forms as in stap's testsuite, global_end.exp).
 */
class GlobalDisplayTest {
    @Test
    void integerScalar_printsInHexAsPercentHashX() {
        StringBuilder out = new StringBuilder();
        GlobalDisplay.scalar(out, "i", 10000);
        GlobalDisplay.scalar(out, "zero", 0);
        GlobalDisplay.scalar(out, "neg", -1);
        assertThat(out.toString()).isEqualTo("i=0x2710\nzero=0x0\nneg=0xffffffffffffffff\n");
    }

    @Test
    void stringScalar_isQuotedNotEscaped() {
        StringBuilder out = new StringBuilder();
        GlobalDisplay.scalar(out, "gamma", "abcdefghijklmnopqrstuvwxyz");
        assertThat(out.toString()).isEqualTo("gamma=\"abcdefghijklmnopqrstuvwxyz\"\n");
    }

    @Test
    void statistic_allFiveAggregatesInDecimal_orCountZeroInHexWhenEmpty() {
        Stat phi = new Stat(HistogramSpec.none());
        for (long v = 1; v <= 4; v++) {
            phi.add(v);
        }
        StringBuilder out = new StringBuilder();
        GlobalDisplay.statistic(out, "phi", phi);
        GlobalDisplay.statistic(out, "empty", new Stat(HistogramSpec.log()));
        assertThat(out.toString()).isEqualTo("phi @count=4 @min=1 @max=4 @sum=10 @avg=2\nempty @count=0x0\n");
    }

    @Test
    void array_entriesByDescendingValue_stringKeysQuoted() {
        StapMap alpha = new StapMap(MapDecl.of("alpha", ValueKind.LONG, StapType.STRING, StapType.LONG));
        StapMap.Key k = alpha.newKey();
        alpha.put(k.set(0, "one").set(1, 1), 1);
        alpha.put(k.set(0, "one").set(1, 2), 2);
        alpha.put(k.set(0, "two").set(1, 1), 3);
        alpha.put(k.set(0, "two").set(1, 2), 4);
        StringBuilder out = new StringBuilder();
        GlobalDisplay.array(out, alpha);
        assertThat(out.toString()).isEqualTo("""
                alpha["two",2]=0x4
                alpha["two",1]=0x3
                alpha["one",2]=0x2
                alpha["one",1]=0x1
                """);
    }

    @Test
    void arrayOfStrings_andOfStatistics() {
        StapMap iota = new StapMap(MapDecl.of("iota", ValueKind.STRING, StapType.STRING));
        iota.put("one", "eleven");
        iota.put("two", "twelve");
        StapMap lat = new StapMap(MapDecl.of("lat", ValueKind.STAT, StapType.LONG));
        lat.stat(7).add(5);
        lat.stat(-3).add(1);
        lat.stat(-3).add(2);
        StringBuilder out = new StringBuilder();
        GlobalDisplay.array(out, iota);
        GlobalDisplay.array(out, lat);
        assertThat(out.toString()).isEqualTo("""
                iota["two"]="twelve"
                iota["one"]="eleven"
                lat[-3] @count=2 @min=1 @max=2 @sum=3 @avg=1
                lat[7] @count=1 @min=5 @max=5 @sum=5 @avg=5
                """);
    }
}
