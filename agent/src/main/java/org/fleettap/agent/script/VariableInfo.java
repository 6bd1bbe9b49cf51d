package org.fleettap.agent.script;

import java.util.List;

/**
 * A variable after checking: its scope, value type (STATS for a statistic), and for arrays the key types in order.
 * {@code size} is the declared maximum number of entries of an array, or {@code null}. {@code read}/{@code written}
 * say whether any code reads or writes it (stap prints globals that are written but never read at the end).
 */
public record VariableInfo(String name, Scope scope, Type type, boolean array, List<Type> keyTypes, Long size,
        SourceLocation location, boolean read, boolean written) {

    public VariableInfo {
        keyTypes = List.copyOf(keyTypes);
    }

    public enum Scope {
        GLOBAL, LOCAL, PARAMETER
    }
}
