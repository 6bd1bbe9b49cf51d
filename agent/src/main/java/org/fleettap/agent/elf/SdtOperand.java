package org.fleettap.agent.elf;

import java.util.Objects;
import java.util.Optional;

/** Where a USDT argument's value is at the probe (the part of an SDT argument after {@code N@}, x86-64 AT&T). */
public sealed interface SdtOperand {

    /** A register, e.g. {@code %eax}: {@code name} is the 64-bit register ("rax"), {@code width} the named part in bytes. */
    record Register(String name, int width) implements SdtOperand {
        public Register {
            Objects.requireNonNull(name, "name");
        }
    }

    /** An immediate, e.g. {@code $5}. */
    record Constant(long value) implements SdtOperand {
    }

    /**
     * A memory operand {@code symbol+displacement(base,index,scale)}: the value is read at symbol + displacement +
     * base + index * scale. {@code symbol} is "" when there is none (then the address needs no load bias); registers
     * are 64-bit names; scale is 1 without an index.
     */
    record Memory(String symbol, long displacement, Optional<String> base, Optional<String> index, int scale)
            implements SdtOperand {
        public Memory {
            Objects.requireNonNull(symbol, "symbol");
            Objects.requireNonNull(base, "base");
            Objects.requireNonNull(index, "index");
        }
    }

    /** A rip-relative memory operand {@code symbol+displacement(%rip)}: the value is read at symbol + displacement. */
    record RipRelative(String symbol, long displacement) implements SdtOperand {
        public RipRelative {
            Objects.requireNonNull(symbol, "symbol");
        }
    }
}
