package org.fleettap.agent.symbols;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfSymbol;

/**
 * Function symbols of one ELF file sorted by address, for address → function + offset. Built once per file
 * (symtab and dynsym together; one name per address, preferring global symbols and symtab's). {@link #objects}
 * builds the same index over data objects, for usymdata().
 */
public final class FunctionIndex {
    private final long[] starts;
    private final long[] ends;
    private final String[] names;
    private final String[][] aliases;

    /** Whether a symbol of size 0 reaches to the next symbol (code) or covers its own address only (data). */
    private final boolean sizelessReachesNext;

    private FunctionIndex(long[] starts, long[] ends, String[] names, String[][] aliases,
            boolean sizelessReachesNext) {
        this.sizelessReachesNext = sizelessReachesNext;
        this.starts = starts;
        this.ends = ends;
        this.names = names;
        this.aliases = aliases;
    }

    /** The index of {@code elf}'s defined function symbols. */
    public static FunctionIndex of(ElfFile elf) {
        List<ElfSymbol> fns = new ArrayList<>();
        for (ElfSymbol s : elf.functions()) {
            if (s.isDefined() && s.value() != 0) {
                fns.add(s);
            }
        }
        return build(fns, true);
    }

    /** The index of {@code elf}'s defined data objects (STT_OBJECT: globals and statics, not thread-locals). */
    public static FunctionIndex objects(ElfFile elf) {
        List<ElfSymbol> objects = new ArrayList<>();
        for (ElfSymbol s : elf.symbols()) {
            if (s.type() == ElfSymbol.Type.OBJECT && s.isDefined() && s.value() != 0) {
                objects.add(s);
            }
        }
        return build(objects, false);
    }

    private static FunctionIndex build(List<ElfSymbol> fns, boolean sizelessReachesNext) {
        fns.sort(Comparator.comparingLong(ElfSymbol::value)
                .thenComparing(s -> s.binding() == ElfSymbol.Binding.GLOBAL ? 0 : 1)
                .thenComparing(s -> s.table() == ElfSymbol.Table.SYMTAB ? 0 : 1)
                .thenComparing(ElfSymbol::name));
        int n = 0;
        long[] starts = new long[fns.size()];
        long[] ends = new long[fns.size()];
        String[] names = new String[fns.size()];
        String[][] aliases = new String[fns.size()][];
        for (ElfSymbol s : fns) {
            if (n > 0 && starts[n - 1] == s.value()) {
                ends[n - 1] = Math.max(ends[n - 1], s.value() + s.size());
                if (!Arrays.asList(aliases[n - 1]).contains(s.name())) {
                    aliases[n - 1] = Arrays.copyOf(aliases[n - 1], aliases[n - 1].length + 1);
                    aliases[n - 1][aliases[n - 1].length - 1] = s.name();
                }
                continue;
            }
            starts[n] = s.value();
            ends[n] = s.value() + s.size();
            names[n] = s.name();
            aliases[n] = new String[] {s.name()};
            n++;
        }
        return new FunctionIndex(Arrays.copyOf(starts, n), Arrays.copyOf(ends, n), Arrays.copyOf(names, n),
                Arrays.copyOf(aliases, n), sizelessReachesNext);
    }

    /**
     * The symbol containing link-time address {@code vaddr}: a function of size 0 extends to the next symbol, a
     * data object of size 0 covers its own address only.
     */
    public Optional<Hit> lookup(long vaddr) {
        int i = Arrays.binarySearch(starts, vaddr);
        if (i < 0) {
            i = -i - 2;
        }
        if (i < 0) {
            return Optional.empty();
        }
        long end = ends[i] > starts[i] ? ends[i]
                : !sizelessReachesNext ? starts[i] + 1
                : i + 1 < starts.length ? starts[i + 1] : Long.MAX_VALUE;
        if (vaddr >= end) {
            return Optional.empty();
        }
        return Optional.of(new Hit(names[i], starts[i], vaddr - starts[i], List.of(aliases[i]), ends[i] - starts[i]));
    }

    public int size() {
        return starts.length;
    }

    /**
     * A function symbol and the offset into it; {@code aliases} are all the names at that address (e.g. a C++
     * complete- and base-object constructor sharing one body), {@code name} the preferred one of them; {@code
     * size} the symbol's size (the largest of the aliases').
     */
    public record Hit(String name, long start, long offset, List<String> aliases, long size) {
        /** The same hit named {@code alias}. */
        public Hit named(String alias) {
            return new Hit(alias, start, offset, aliases, size);
        }
    }
}
