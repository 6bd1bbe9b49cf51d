package org.fleettap.agent.unwind;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One row of the CFI table: for pcs in [start, end) (link-time addresses), the CFA rule and the rules of the
 * registers that have one (DWARF numbers); {@code cfa} is empty if the CFI never defined it.
 */
record UnwindRow(long start, long end, Optional<CfaRule> cfa, Map<Integer, RegisterRule> rules,
        int returnAddressRegister, boolean signalFrame) {
    UnwindRow {
        Objects.requireNonNull(cfa, "cfa");
        rules = Map.copyOf(rules);
    }

    /** The rule of DWARF register {@code reg}, if the CFI gave one. */
    Optional<RegisterRule> rule(int reg) {
        return Optional.ofNullable(rules.get(reg));
    }
}
