package org.fleettap.agent.dwarf;

import java.util.List;
import java.util.Optional;

/**
 * Where a variable or parameter lives (DW_AT_location): nowhere (optimised out), one expression valid wherever
 * it is in scope, or a location list by pc range.
 */
public record VariableLocation(Optional<LocationExpression> expression, List<LocationListEntry> list) {
    /** No location: the value is optimised out. */
    public static final VariableLocation NONE = new VariableLocation(Optional.empty(), List.of());

    public VariableLocation {
        list = List.copyOf(list);
        if (expression.isPresent() && !list.isEmpty()) {
            throw new IllegalArgumentException("a location is an expression or a list, not both");
        }
    }

    static VariableLocation of(LocationExpression e) {
        return new VariableLocation(Optional.of(e), List.of());
    }

    static VariableLocation of(List<LocationListEntry> list) {
        return new VariableLocation(Optional.empty(), list);
    }

    public boolean isList() {
        return expression.isEmpty() && !list.isEmpty();
    }

    public boolean isNone() {
        return expression.isEmpty() && list.isEmpty();
    }

    /** The expression that applies at {@code pc}, if any (a single expression applies everywhere). */
    public Optional<LocationExpression> at(long pc) {
        if (expression.isPresent()) {
            return expression;
        }
        LocationExpression fallback = null;
        for (LocationListEntry e : list) {
            if (e.covers(pc)) {
                return Optional.of(e.expression());
            }
            if (e.isDefault()) {
                fallback = e.expression();
            }
        }
        return Optional.ofNullable(fallback);
    }
}
