package org.fleettap.agent.script;

import java.util.List;
import org.fleettap.agent.probe.ProbePoint;

/** The syntax tree of one script file, in source order within each kind. */
public record Script(Source source, List<Global> globals, List<Probe> probes, List<Function> functions) {

    public Script {
        globals = List.copyOf(globals);
        probes = List.copyOf(probes);
        functions = List.copyOf(functions);
    }

    /**
     * {@code global name}, {@code global name[size]} (an array; {@code size} may be {@code null}), or
     * {@code global name = literal} ({@code initialiser} is an IntLiteral or a StringLiteral, else {@code null}).
     */
    public record Global(String name, boolean declaredArray, Long size, Expr initialiser, SourceLocation location) {
    }

    /** {@code probe P1, P2 { body }}. */
    public record Probe(List<Point> points, Stmt.Block body, SourceLocation location) {
        public Probe {
            points = List.copyOf(points);
        }
    }

    /**
     * One probe point with its location; {@code optional} for a trailing {@code ?}, {@code sufficient} for a trailing
     * {@code !}.
     */
    public record Point(ProbePoint point, boolean optional, boolean sufficient, SourceLocation location) {

        /** True for {@code ....return} points, where {@code $return} and {@code @entry} exist. */
        public boolean isReturn() {
            return point.components().get(point.size() - 1).name().equals("return");
        }
    }

    /** {@code function name[:type](p1[:type], ...) { body }}; {@code returnType} is UNKNOWN when not written. */
    public record Function(String name, Type returnType, List<Parameter> parameters, Stmt.Block body,
            SourceLocation location) {
        public Function {
            parameters = List.copyOf(parameters);
        }
    }

    /** A function parameter; {@code type} is UNKNOWN when not written. */
    public record Parameter(String name, Type type, SourceLocation location) {
    }
}
