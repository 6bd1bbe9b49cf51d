package org.fleettap.agent.unwind;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** An immutable {@link ModuleLookup} over address ranges [start, end), such as the executable lines of a maps file. */
public final class ModuleMap implements ModuleLookup {
    private final long[] starts;
    private final long[] ends;
    private final Module[] modules;

    private ModuleMap(List<Range> ranges) {
        List<Range> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparing(Range::start, Long::compareUnsigned));
        starts = new long[sorted.size()];
        ends = new long[sorted.size()];
        modules = new Module[sorted.size()];
        for (int i = 0; i < sorted.size(); i++) {
            Range r = sorted.get(i);
            if (i > 0 && Long.compareUnsigned(r.start(), ends[i - 1]) < 0) {
                throw new IllegalArgumentException(String.format("range 0x%x-0x%x (%s) overlaps 0x%x-0x%x (%s)",
                        r.start(), r.end(), r.module().name(), starts[i - 1], ends[i - 1], modules[i - 1].name()));
            }
            starts[i] = r.start();
            ends[i] = r.end();
            modules[i] = r.module();
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Optional<Module> find(long address) {
        int lo = 0;
        int hi = starts.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(address, starts[mid]) < 0) {
                hi = mid - 1;
            } else if (Long.compareUnsigned(address, ends[mid]) >= 0) {
                lo = mid + 1;
            } else {
                return Optional.of(modules[mid]);
            }
        }
        return Optional.empty();
    }

    /** Collects ranges; overlapping ones are an error at {@link #build}. */
    public static final class Builder {
        private final List<Range> ranges = new ArrayList<>();

        private Builder() {
        }

        /** Adds [start, end) as {@code module}. */
        public Builder add(long start, long end, Module module) {
            Objects.requireNonNull(module, "module");
            if (Long.compareUnsigned(start, end) >= 0) {
                throw new IllegalArgumentException(String.format("empty range 0x%x-0x%x", start, end));
            }
            ranges.add(new Range(start, end, module));
            return this;
        }

        public ModuleMap build() {
            return new ModuleMap(ranges);
        }
    }

    private record Range(long start, long end, Module module) {
    }
}
