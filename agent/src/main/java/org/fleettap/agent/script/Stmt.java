package org.fleettap.agent.script;

import java.util.List;

/** Statements of probe handlers and functions. */
public sealed interface Stmt {

    SourceLocation location();

    record Block(List<Stmt> statements, SourceLocation location) implements Stmt {
        public Block {
            statements = List.copyOf(statements);
        }
    }

    /** A lone {@code ;}. */
    record Empty(SourceLocation location) implements Stmt {
    }

    record ExprStatement(Expr expression, SourceLocation location) implements Stmt {
    }

    /** {@code otherwise} is {@code null} without an {@code else}. */
    record If(Expr condition, Stmt then, Stmt otherwise, SourceLocation location) implements Stmt {
    }

    record While(Expr condition, Stmt body, SourceLocation location) implements Stmt {
    }

    /** {@code for (init; condition; step) body}; each of the three may be {@code null}. */
    record For(Expr init, Expr condition, Expr step, Stmt body, SourceLocation location) implements Stmt {
    }

    /**
     * {@code foreach ([value =] [k1, k2] in array [@agg] [+|-] [limit N]) body}. {@code sortColumn} is 0 for
     * sorting on the value (a sign after the array or the value variable), i (1-based) for sorting on the i-th key,
     * -1 for no sorting. {@code valueVariable}, {@code sortAggregate} and {@code limit} may be {@code null}.
     */
    record Foreach(String valueVariable, List<String> keyVariables, List<SourceLocation> keyLocations,
            String array, SourceLocation arrayLocation, int sortColumn, boolean descending,
            Expr.AggregateOp sortAggregate, Expr limit, Stmt body, SourceLocation location) implements Stmt {
        public Foreach {
            keyVariables = List.copyOf(keyVariables);
            keyLocations = List.copyOf(keyLocations);
        }

        public boolean sorted() {
            return sortColumn >= 0;
        }
    }

    record Next(SourceLocation location) implements Stmt {
    }

    record Break(SourceLocation location) implements Stmt {
    }

    record Continue(SourceLocation location) implements Stmt {
    }

    /** {@code value} is {@code null} for a bare {@code return}. */
    record Return(Expr value, SourceLocation location) implements Stmt {
    }

    /** {@code delete x}, {@code delete arr}, {@code delete arr[k]}: the target is a Variable or an Index. */
    record Delete(Expr target, SourceLocation location) implements Stmt {
    }

    /** {@code try { } catch [(var)] { }}; {@code errorVariable} may be {@code null}. */
    record Try(Block body, String errorVariable, Block handler, SourceLocation location) implements Stmt {
    }
}
