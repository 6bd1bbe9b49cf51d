package org.fleettap.agent.runtime;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;

/**
 * A global associative array with stap's semantics.
 *
 * <ul>
 *   <li>Keys are tuples of longs and strings, stored packed in primitive arrays (open addressing,
 *       linear probing); looking up or updating an existing key allocates nothing. Single-column
 *       {@code long} and {@code String} keys have direct methods; wider keys go through a reusable
 *       {@link Key}.
 *   <li>Reading a missing key yields 0, {@code ""} or no statistic and does not insert it; writing
 *       0 or {@code ""} keeps the key ({@code k in a} stays true) as the runtime's map-gen.c does.
 *   <li>At most {@link MapDecl#capacity()} entries: a new key beyond it fails with stap's
 *       {@code Array overflow} error, or, for a wrapping ({@code %}) array, replaces the oldest entry.
 *   <li>Entries keep insertion order. {@code foreach} without sorting visits them in that order, and
 *       sorting is stable (ties keep insertion order), as the runtime's merge sort over its entry
 *       list ({@code _stp_map_sort}, map.c). Strings compare as {@code strcmp} does (by UTF-8 bytes).
 * </ul>
 *
 * <p>Not thread-safe. {@link Cursor}s see the entries as they were when the {@code foreach} began;
 * the checker must forbid modifying the array inside its own {@code foreach}, as stap does.
 */
public final class StapMap {
    /** Which aggregate orders statistic values in {@code foreach} ({@code @count+} etc.). */
    public enum StatField {
        COUNT,
        SUM,
        MIN,
        MAX,
        AVG
    }

    private static final int INITIAL_ENTRIES = 16;

    private final MapDecl decl;
    private final int columns;
    private final boolean[] columnIsString;
    private final int[] columnSlot;
    private final int longColumns;
    private final int stringColumns;
    private final int capacity;

    private long[] longKeys;
    private String[] stringKeys;
    private int[] hashes;
    private long[] longValues;
    private String[] stringValues;
    private Stat[] statValues;
    private int[] next;
    private int[] prev;
    private int entryCapacity;
    private int used;
    private int freeHead = -1;
    private int head = -1;
    private int tail = -1;
    private int size;
    private int[] table;

    private boolean trackDeltas;

    public StapMap(MapDecl decl) {
        this.decl = Objects.requireNonNull(decl, "decl");
        this.columns = decl.keyTypes().size();
        this.columnIsString = new boolean[columns];
        this.columnSlot = new int[columns];
        int longs = 0;
        int strings = 0;
        for (int c = 0; c < columns; c++) {
            boolean isString = decl.keyTypes().get(c) == StapType.STRING;
            columnIsString[c] = isString;
            columnSlot[c] = isString ? strings++ : longs++;
        }
        this.longColumns = longs;
        this.stringColumns = strings;
        this.capacity = decl.capacity();
        allocate(Math.min(INITIAL_ENTRIES, capacity));
    }

    /**
     * From now on, every statistic of this array (those there and those to come) keeps what is added to it
     * since the agent last exported it ({@link Stat#takeDelta()}).
     */
    public void trackDeltas() {
        trackDeltas = true;
        for (Cursor c = foreach(); c.next();) {
            c.valueStat().trackDelta();
        }
    }

    public MapDecl decl() {
        return decl;
    }

    /** Number of entries. */
    public int size() {
        return size;
    }

    /** {@code delete a}. */
    public void clear() {
        allocate(Math.min(INITIAL_ENTRIES, capacity));
    }

    /** A reusable key for this array's columns; set every column before use. */
    public Key newKey() {
        return new Key();
    }

    // ---- single long key -------------------------------------------------------------------

    /** {@code [k] in a}. */
    public boolean contains(long k) {
        return findLong(k) >= 0;
    }

    /** {@code a[k]} for a long-valued array: 0 when absent. */
    public long getLong(long k) {
        requireValue(MapDecl.ValueKind.LONG);
        int e = findLong(k);
        return e < 0 ? 0 : longValues[e];
    }

    /** {@code a[k]} for a string-valued array: {@code ""} when absent. */
    public String getString(long k) {
        requireValue(MapDecl.ValueKind.STRING);
        int e = findLong(k);
        return e < 0 ? "" : stringValues[e];
    }

    /** {@code a[k] = v}. */
    public void put(long k, long v) {
        requireValue(MapDecl.ValueKind.LONG);
        int e = findOrInsertLong(k); // may grow the arrays: index first
        longValues[e] = v;
    }

    /** {@code a[k] = v}, truncated to MAXSTRINGLEN. */
    public void put(long k, String v) {
        requireValue(MapDecl.ValueKind.STRING);
        int e = findOrInsertLong(k); // may grow the arrays: index first
        stringValues[e] = StapString.truncate(v);
    }

    /** {@code a[k] += delta} (also {@code ++}, {@code --}); returns the new value. */
    public long add(long k, long delta) {
        requireValue(MapDecl.ValueKind.LONG);
        int e = findOrInsertLong(k);
        return longValues[e] += delta;
    }

    /** The statistic at {@code k}, created empty if absent: the target of {@code a[k] <<< v}. */
    public Stat stat(long k) {
        requireValue(MapDecl.ValueKind.STAT);
        int e = findOrInsertLong(k); // may grow the arrays: index first
        return statValues[e];
    }

    /** The statistic at {@code k} for reading, or null when absent ({@code @count} of it is 0). */
    public Stat statIfPresent(long k) {
        requireValue(MapDecl.ValueKind.STAT);
        int e = findLong(k);
        return e < 0 ? null : statValues[e];
    }

    /** {@code delete a[k]}; returns whether it was present. */
    public boolean delete(long k) {
        int e = findLong(k);
        if (e < 0) {
            return false;
        }
        remove(e);
        return true;
    }

    // ---- single string key -----------------------------------------------------------------

    public boolean contains(String k) {
        return findString(StapString.truncate(k)) >= 0;
    }

    public long getLong(String k) {
        requireValue(MapDecl.ValueKind.LONG);
        int e = findString(StapString.truncate(k));
        return e < 0 ? 0 : longValues[e];
    }

    public String getString(String k) {
        requireValue(MapDecl.ValueKind.STRING);
        int e = findString(StapString.truncate(k));
        return e < 0 ? "" : stringValues[e];
    }

    public void put(String k, long v) {
        requireValue(MapDecl.ValueKind.LONG);
        int e = findOrInsertString(StapString.truncate(k)); // may grow the arrays: index first
        longValues[e] = v;
    }

    public void put(String k, String v) {
        requireValue(MapDecl.ValueKind.STRING);
        int e = findOrInsertString(StapString.truncate(k)); // may grow the arrays: index first
        stringValues[e] = StapString.truncate(v);
    }

    public long add(String k, long delta) {
        requireValue(MapDecl.ValueKind.LONG);
        int e = findOrInsertString(StapString.truncate(k));
        return longValues[e] += delta;
    }

    public Stat stat(String k) {
        requireValue(MapDecl.ValueKind.STAT);
        int e = findOrInsertString(StapString.truncate(k)); // may grow the arrays: index first
        return statValues[e];
    }

    public Stat statIfPresent(String k) {
        requireValue(MapDecl.ValueKind.STAT);
        int e = findString(StapString.truncate(k));
        return e < 0 ? null : statValues[e];
    }

    public boolean delete(String k) {
        int e = findString(StapString.truncate(k));
        if (e < 0) {
            return false;
        }
        remove(e);
        return true;
    }

    // ---- tuple keys ------------------------------------------------------------------------

    public boolean contains(Key k) {
        return findKey(k) >= 0;
    }

    public long getLong(Key k) {
        requireValue(MapDecl.ValueKind.LONG);
        int e = findKey(k);
        return e < 0 ? 0 : longValues[e];
    }

    public String getString(Key k) {
        requireValue(MapDecl.ValueKind.STRING);
        int e = findKey(k);
        return e < 0 ? "" : stringValues[e];
    }

    public void put(Key k, long v) {
        requireValue(MapDecl.ValueKind.LONG);
        int e = findOrInsertKey(k); // may grow the arrays: index first
        longValues[e] = v;
    }

    public void put(Key k, String v) {
        requireValue(MapDecl.ValueKind.STRING);
        int e = findOrInsertKey(k); // may grow the arrays: index first
        stringValues[e] = StapString.truncate(v);
    }

    public long add(Key k, long delta) {
        requireValue(MapDecl.ValueKind.LONG);
        int e = findOrInsertKey(k);
        return longValues[e] += delta;
    }

    public Stat stat(Key k) {
        requireValue(MapDecl.ValueKind.STAT);
        int e = findOrInsertKey(k); // may grow the arrays: index first
        return statValues[e];
    }

    public Stat statIfPresent(Key k) {
        requireValue(MapDecl.ValueKind.STAT);
        int e = findKey(k);
        return e < 0 ? null : statValues[e];
    }

    public boolean delete(Key k) {
        int e = findKey(k);
        if (e < 0) {
            return false;
        }
        remove(e);
        return true;
    }

    // ---- merging and iteration -------------------------------------------------------------

    /**
     * Merges another array of statistics into this one, key by key (per-CPU or per-host partials).
     * New keys are appended in {@code other}'s order.
     */
    public void mergeFrom(StapMap other) {
        requireValue(MapDecl.ValueKind.STAT);
        if (other == this) {
            throw new IllegalArgumentException("cannot merge " + decl.name() + " into itself");
        }
        if (!other.decl.keyTypes().equals(decl.keyTypes()) || other.decl.valueKind() != MapDecl.ValueKind.STAT
                || !other.decl.histogram().equals(decl.histogram())) {
            throw new IllegalArgumentException("cannot merge " + other.decl + " into " + decl);
        }
        Key key = newKey();
        for (int e = other.head; e >= 0; e = other.next[e]) {
            for (int c = 0; c < columns; c++) {
                if (columnIsString[c]) {
                    key.strings[columnSlot[c]] = other.stringKeys[e * stringColumns + columnSlot[c]];
                } else {
                    key.longs[columnSlot[c]] = other.longKeys[e * longColumns + columnSlot[c]];
                }
            }
            stat(key).merge(other.statValues[e]);
        }
    }

    /** {@code foreach ([k...] in a)}: insertion order. */
    public Cursor foreach() {
        return foreach(Order.NONE);
    }

    /** {@code foreach} with stap's sorting and {@code limit}. */
    public Cursor foreach(Order order) {
        Objects.requireNonNull(order, "order");
        if (order.position() > columns) {
            throw new IllegalArgumentException(decl.name() + " has " + columns + " key columns, cannot sort on "
                    + order.position());
        }
        Integer[] ids = new Integer[size];
        int n = 0;
        for (int e = head; e >= 0; e = next[e]) {
            ids[n++] = e;
        }
        if (order.direction() != 0) {
            Comparator<Integer> cmp = comparator(order.position(), order.statField());
            Arrays.sort(ids, order.direction() > 0 ? cmp : cmp.reversed()); // stable
        }
        long limit = order.limit() < 0 ? size : Math.min(order.limit(), size);
        int[] entries = new int[(int) Math.max(0, limit)];
        for (int i = 0; i < entries.length; i++) {
            entries[i] = ids[i];
        }
        return new Cursor(entries);
    }

    private Comparator<Integer> comparator(int position, StatField field) {
        if (position == 0) {
            return switch (decl.valueKind()) {
                case LONG -> (a, b) -> Long.compare(longValues[a], longValues[b]);
                case STRING -> (a, b) -> compareStrings(stringValues[a], stringValues[b]);
                case STAT -> (a, b) -> Long.compare(statKey(statValues[a], field), statKey(statValues[b], field));
            };
        }
        int c = position - 1;
        int slot = columnSlot[c];
        if (columnIsString[c]) {
            return (a, b) -> compareStrings(stringKeys[a * stringColumns + slot], stringKeys[b * stringColumns + slot]);
        }
        return (a, b) -> Long.compare(longKeys[a * longColumns + slot], longKeys[b * longColumns + slot]);
    }

    private static long statKey(Stat s, StatField field) {
        return switch (field) {
            case COUNT -> s.count();
            case SUM -> s.sum();
            case MIN -> s.min();
            case MAX -> s.max();
            case AVG -> s.avg();
        };
    }

    /** {@code strcmp} order: by UTF-8 bytes, which is code point order. */
    static int compareStrings(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    // ---- hashing and storage ---------------------------------------------------------------

    private static int hashLong(long v) {
        long h = v * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }

    private static int hashString(String s) {
        return s.hashCode() * 0x9E3779B9;
    }

    private static int spread(int h) {
        return h ^ (h >>> 16);
    }

    private int findLong(long k) {
        requireSingle(false);
        int h = spread(hashLong(k));
        int mask = table.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            int e = table[i] - 1;
            if (e < 0) {
                return -1;
            }
            if (hashes[e] == h && longKeys[e] == k) {
                return e;
            }
        }
    }

    private int findOrInsertLong(long k) {
        int e = findLong(k);
        if (e >= 0) {
            return e;
        }
        e = insert(spread(hashLong(k)));
        longKeys[e] = k;
        return e;
    }

    private int findString(String k) {
        requireSingle(true);
        int h = spread(hashString(k));
        int mask = table.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            int e = table[i] - 1;
            if (e < 0) {
                return -1;
            }
            if (hashes[e] == h && stringKeys[e].equals(k)) {
                return e;
            }
        }
    }

    private int findOrInsertString(String k) {
        int e = findString(k);
        if (e >= 0) {
            return e;
        }
        e = insert(spread(hashString(k)));
        stringKeys[e] = k;
        return e;
    }

    private int hashKey(Key k) {
        int h = 0;
        for (int c = 0; c < columns; c++) {
            int part = columnIsString[c] ? hashString(k.strings[columnSlot[c]]) : hashLong(k.longs[columnSlot[c]]);
            h = h * 31 + part;
        }
        return spread(h);
    }

    private int findKey(Key k) {
        k.check(this);
        return findKey(k, hashKey(k));
    }

    private int findKey(Key k, int h) {
        int mask = table.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            int e = table[i] - 1;
            if (e < 0) {
                return -1;
            }
            if (hashes[e] == h && keyEquals(e, k)) {
                return e;
            }
        }
    }

    private boolean keyEquals(int e, Key k) {
        for (int i = 0; i < longColumns; i++) {
            if (longKeys[e * longColumns + i] != k.longs[i]) {
                return false;
            }
        }
        for (int i = 0; i < stringColumns; i++) {
            if (!stringKeys[e * stringColumns + i].equals(k.strings[i])) {
                return false;
            }
        }
        return true;
    }

    private int findOrInsertKey(Key k) {
        k.check(this);
        int h = hashKey(k);
        int e = findKey(k, h);
        if (e >= 0) {
            return e;
        }
        e = insert(h);
        System.arraycopy(k.longs, 0, longKeys, e * longColumns, longColumns);
        System.arraycopy(k.strings, 0, stringKeys, e * stringColumns, stringColumns);
        return e;
    }

    /** A new entry with hash {@code h}, linked last and indexed; the caller fills in the key. */
    private int insert(int h) {
        if (size >= capacity) {
            if (!decl.wrap() || head < 0) {
                throw new StapRuntimeException(decl.overflowMessage());
            }
            remove(head);
        }
        if ((size + 1) * 2 > table.length) {
            rehash(table.length * 2);
        }
        int e;
        if (freeHead >= 0) {
            e = freeHead;
            freeHead = next[e];
        } else {
            if (used == entryCapacity) {
                growEntries();
            }
            e = used++;
        }
        hashes[e] = h;
        switch (decl.valueKind()) {
            case LONG -> longValues[e] = 0;
            case STRING -> stringValues[e] = "";
            case STAT -> {
                statValues[e] = new Stat(decl.histogram());
                if (trackDeltas) {
                    statValues[e].trackDelta();
                }
            }
        }
        prev[e] = tail;
        next[e] = -1;
        if (tail >= 0) {
            next[tail] = e;
        } else {
            head = e;
        }
        tail = e;
        int mask = table.length - 1;
        int i = h & mask;
        while (table[i] != 0) {
            i = (i + 1) & mask;
        }
        table[i] = e + 1;
        size++;
        return e;
    }

    private void remove(int e) {
        int mask = table.length - 1;
        int i = hashes[e] & mask;
        while (table[i] != e + 1) {
            i = (i + 1) & mask;
        }
        // backward-shift deletion keeps every probe chain unbroken without tombstones
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            int t = table[j];
            if (t == 0) {
                break;
            }
            int ideal = hashes[t - 1] & mask;
            boolean stays = i <= j ? (i < ideal && ideal <= j) : (i < ideal || ideal <= j);
            if (!stays) {
                table[i] = t;
                i = j;
            }
        }
        table[i] = 0;

        if (prev[e] >= 0) {
            next[prev[e]] = next[e];
        } else {
            head = next[e];
        }
        if (next[e] >= 0) {
            prev[next[e]] = prev[e];
        } else {
            tail = prev[e];
        }
        for (int s = 0; s < stringColumns; s++) {
            stringKeys[e * stringColumns + s] = null;
        }
        if (stringValues != null) {
            stringValues[e] = null;
        }
        if (statValues != null) {
            statValues[e] = null;
        }
        next[e] = freeHead;
        freeHead = e;
        size--;
    }

    private void allocate(int entries) {
        entryCapacity = entries;
        longKeys = new long[entries * longColumns];
        stringKeys = new String[entries * stringColumns];
        hashes = new int[entries];
        next = new int[entries];
        prev = new int[entries];
        longValues = decl.valueKind() == MapDecl.ValueKind.LONG ? new long[entries] : null;
        stringValues = decl.valueKind() == MapDecl.ValueKind.STRING ? new String[entries] : null;
        statValues = decl.valueKind() == MapDecl.ValueKind.STAT ? new Stat[entries] : null;
        table = new int[Integer.highestOneBit(Math.max(4, entries * 2 - 1)) << 1];
        used = 0;
        freeHead = -1;
        head = -1;
        tail = -1;
        size = 0;
    }

    private void growEntries() {
        int n = (int) Math.min((long) capacity, Math.max(INITIAL_ENTRIES, (long) entryCapacity * 2));
        longKeys = Arrays.copyOf(longKeys, n * longColumns);
        stringKeys = Arrays.copyOf(stringKeys, n * stringColumns);
        hashes = Arrays.copyOf(hashes, n);
        next = Arrays.copyOf(next, n);
        prev = Arrays.copyOf(prev, n);
        if (longValues != null) {
            longValues = Arrays.copyOf(longValues, n);
        }
        if (stringValues != null) {
            stringValues = Arrays.copyOf(stringValues, n);
        }
        if (statValues != null) {
            statValues = Arrays.copyOf(statValues, n);
        }
        entryCapacity = n;
    }

    private void rehash(int tableSize) {
        table = new int[tableSize];
        int mask = tableSize - 1;
        for (int e = head; e >= 0; e = next[e]) {
            int i = hashes[e] & mask;
            while (table[i] != 0) {
                i = (i + 1) & mask;
            }
            table[i] = e + 1;
        }
    }

    private void requireValue(MapDecl.ValueKind kind) {
        if (decl.valueKind() != kind) {
            throw new IllegalStateException(decl.name() + " holds " + decl.valueKind() + " values, not " + kind);
        }
    }

    private void requireSingle(boolean string) {
        if (columns != 1 || columnIsString[0] != string) {
            throw new IllegalStateException(decl.name() + " is keyed by " + decl.keyTypes() + ", not a single "
                    + (string ? "string" : "long"));
        }
    }

    /**
     * A mutable key tuple for one array, reused across lookups (the array copies it on insert).
     * Positions are 0-based.
     */
    public final class Key {
        private final long[] longs = new long[longColumns];
        private final String[] strings = new String[stringColumns];

        private Key() {}

        public Key set(int position, long value) {
            if (columnIsString[position]) {
                throw new IllegalArgumentException(decl.name() + " key " + position + " is a string");
            }
            longs[columnSlot[position]] = value;
            return this;
        }

        public Key set(int position, String value) {
            if (!columnIsString[position]) {
                throw new IllegalArgumentException(decl.name() + " key " + position + " is a long");
            }
            strings[columnSlot[position]] = StapString.truncate(value);
            return this;
        }

        private void check(StapMap map) {
            if (map != StapMap.this) {
                throw new IllegalArgumentException("key of " + decl.name() + " used with " + map.decl.name());
            }
            for (String s : strings) {
                Objects.requireNonNull(s, "unset string key column");
            }
        }
    }

    /**
     * How {@code foreach} orders and limits: {@code position} 0 sorts on the value, 1..n on that key
     * column (stap's numbering, {@code foreach ([a,b+] in m)} is position 2); {@code direction} +1 for
     * {@code +} (ascending), -1 for {@code -} (descending), 0 for insertion order; {@code statField}
     * chooses the aggregate for statistic values ({@code @count+}; plain {@code +} means
     * {@code @count}); {@code limit} is -1 for none. A {@code limit} of 0 or less visits nothing.
     */
    public record Order(int position, int direction, StatField statField, long limit) {
        public static final Order NONE = new Order(0, 0, StatField.COUNT, -1);

        public Order {
            if (position < 0 || direction < -1 || direction > 1) {
                throw new IllegalArgumentException("bad foreach order: position " + position + ", direction " + direction);
            }
            Objects.requireNonNull(statField, "statField");
        }

        public static Order byValue(int direction) {
            return new Order(0, direction, StatField.COUNT, -1);
        }

        public static Order byValue(StatField field, int direction) {
            return new Order(0, direction, field, -1);
        }

        /** Sort on key column {@code keyPosition} (0-based). */
        public static Order byKey(int keyPosition, int direction) {
            return new Order(keyPosition + 1, direction, StatField.COUNT, -1);
        }

        public Order withLimit(long n) {
            return new Order(position, direction, statField, Math.max(0, n));
        }
    }

    /** One {@code foreach} pass over a snapshot of the entries' order. */
    public final class Cursor {
        private final int[] entries;
        private int at = -1;

        private Cursor(int[] entries) {
            this.entries = entries;
        }

        public boolean next() {
            return ++at < entries.length;
        }

        public long keyLong(int position) {
            if (columnIsString[position]) {
                throw new IllegalArgumentException(decl.name() + " key " + position + " is a string");
            }
            return longKeys[entries[at] * longColumns + columnSlot[position]];
        }

        public String keyString(int position) {
            if (!columnIsString[position]) {
                throw new IllegalArgumentException(decl.name() + " key " + position + " is a long");
            }
            return stringKeys[entries[at] * stringColumns + columnSlot[position]];
        }

        public long valueLong() {
            requireValue(MapDecl.ValueKind.LONG);
            return longValues[entries[at]];
        }

        public String valueString() {
            requireValue(MapDecl.ValueKind.STRING);
            return stringValues[entries[at]];
        }

        public Stat valueStat() {
            requireValue(MapDecl.ValueKind.STAT);
            return statValues[entries[at]];
        }
    }
}
