package org.fleettap.agent.unwind;

import java.util.Optional;

/** Finds the module holding a run-time address of the sampled process (from its /proc/PID/maps). */
@FunctionalInterface
public interface ModuleLookup {
    /** The module mapped at {@code address}, or empty (anonymous memory, JIT code, vdso without CFI). */
    Optional<Module> find(long address);
}
