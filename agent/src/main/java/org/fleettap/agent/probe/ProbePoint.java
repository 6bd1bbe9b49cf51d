package org.fleettap.agent.probe;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A probe point as written in a script or on the command line, e.g. {@code process("./loop").function("f").return}:
 * a dotted list of components, each with an optional string or number argument.
 */
public record ProbePoint(List<Component> components) {

    public ProbePoint {
        components = List.copyOf(components);
        if (components.isEmpty()) {
            throw new IllegalArgumentException("a probe point has at least one component");
        }
    }

    /** One component: a name and an optional argument (a String or a Long). */
    public record Component(String name, Object argument) {
        public Optional<String> stringArgument() {
            return argument instanceof String s ? Optional.of(s) : Optional.empty();
        }

        public Optional<Long> numberArgument() {
            return argument instanceof Long n ? Optional.of(n) : Optional.empty();
        }

        public boolean hasArgument() {
            return argument != null;
        }

        @Override
        public String toString() {
            if (argument == null) {
                return name;
            }
            if (argument instanceof String s) {
                return name + "(\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\")";
            }
            return name + "(" + argument + ")";
        }
    }

    public Component first() {
        return components.get(0);
    }

    /** The component at {@code index}, if the point is that long. */
    public Optional<Component> at(int index) {
        return index < components.size() ? Optional.of(components.get(index)) : Optional.empty();
    }

    public int size() {
        return components.size();
    }

    /** The canonical text, as stap prints it with {@code pp()}. */
    @Override
    public String toString() {
        return components.stream().map(Component::toString).collect(Collectors.joining("."));
    }
}
