package org.fleettap.agent.script;

import java.util.List;

/**
 * A function's signature: parameter types (for variadic functions, the fixed leading ones), return type
 * ({@link Type#VOID} when it gives no value). {@code location} is {@code null} for builtins.
 */
public record Signature(String name, List<Type> parameters, Type returnType, boolean builtin, boolean variadic,
        SourceLocation location) {

    public Signature {
        parameters = List.copyOf(parameters);
    }

    /** How it reads in messages, e.g. {@code substr(string, long, long): string}. */
    public String describe() {
        StringBuilder sb = new StringBuilder(name).append('(');
        for (int i = 0; i < parameters.size(); i++) {
            sb.append(i > 0 ? ", " : "").append(parameters.get(i).spelling());
        }
        if (variadic) {
            sb.append(parameters.isEmpty() ? "..." : ", ...");
        }
        sb.append(')');
        if (returnType != Type.VOID) {
            sb.append(": ").append(returnType.spelling());
        }
        return sb.toString();
    }
}
