package org.fleettap.agent.runtime;

/**
 * The end-of-session display of globals that the script wrote but never read, in the format of the
 * synthetic {@code probe end} that stap's {@code add_global_var_display} (elaborate.cxx) generates:
 *
 * <ul>
 *   <li>integer scalar: {@code name=%#x} ({@code count=0x2710});
 *   <li>string scalar: {@code name="%#s"} (no escaping: the runtime's {@code %s} ignores {@code #});
 *   <li>statistic: {@code name @count=%#d @min=%#d @max=%#d @sum=%#d @avg=%#d}, or
 *       {@code name @count=0x0} when empty;
 *   <li>array: one line per entry in {@code foreach ([...] in name-)} order (descending value,
 *       statistics by {@code @count}), keys as {@code name[%#d,"%#s"]} followed by the value part
 *       above ({@code a["x",2]=0x1}, {@code s[3] @count=...}).
 * </ul>
 *
 * These are what stap's testsuite expects (global_end.exp: {@code alpha["one",1]=0x1},
 * {@code gamma="abc..."}, {@code phi @count=4 @min=1 @max=4 @sum=10 @avg=2}).
 */
public final class GlobalDisplay {
    private static final StapFormat LONG_VALUE = StapFormat.compile("=%#x\n");
    private static final StapFormat STRING_VALUE = StapFormat.compile("=\"%#s\"\n");
    private static final StapFormat STAT_VALUE = StapFormat.compile(" @count=%#d @min=%#d @max=%#d @sum=%#d @avg=%#d\n");
    private static final StapFormat NUMBER_KEY = StapFormat.compile("%#d");
    private static final StapFormat STRING_KEY = StapFormat.compile("\"%#s\"");

    private GlobalDisplay() {}

    public static void scalar(StringBuilder out, String name, long value) {
        out.append(name);
        LONG_VALUE.printf(out, value);
    }

    public static void scalar(StringBuilder out, String name, String value) {
        out.append(name);
        STRING_VALUE.printf(out, value);
    }

    public static void statistic(StringBuilder out, String name, Stat stat) {
        out.append(name);
        if (stat.count() == 0) {
            out.append(" @count=0x0\n");
            return;
        }
        statValue(out, stat);
    }

    public static void array(StringBuilder out, StapMap map) {
        MapDecl decl = map.decl();
        StapMap.Cursor c = map.foreach(StapMap.Order.byValue(-1));
        int columns = decl.keyTypes().size();
        while (c.next()) {
            out.append(decl.name()).append('[');
            for (int k = 0; k < columns; k++) {
                if (k > 0) {
                    out.append(',');
                }
                if (decl.keyTypes().get(k) == StapType.STRING) {
                    STRING_KEY.printf(out, c.keyString(k));
                } else {
                    NUMBER_KEY.printf(out, c.keyLong(k));
                }
            }
            out.append(']');
            switch (decl.valueKind()) {
                case LONG -> LONG_VALUE.printf(out, c.valueLong());
                case STRING -> STRING_VALUE.printf(out, c.valueString());
                case STAT -> statValue(out, c.valueStat());
            }
        }
    }

    private static void statValue(StringBuilder out, Stat s) {
        STAT_VALUE.printf(out, s.count(), s.min(), s.max(), s.sum(), s.avg());
    }
}
