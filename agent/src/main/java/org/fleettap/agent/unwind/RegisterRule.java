package org.fleettap.agent.unwind;

import java.util.Objects;

/** How a row recovers one register of the caller (DWARF 5 section 6.4.1). */
sealed interface RegisterRule {
    /** Not recoverable: for the return address column, the end of the stack. */
    record Undefined() implements RegisterRule {
    }

    /** Unchanged from the callee. */
    record SameValue() implements RegisterRule {
    }

    /** Saved at CFA + offset. */
    record Offset(long offset) implements RegisterRule {
    }

    /** The value CFA + offset itself. */
    record ValOffset(long offset) implements RegisterRule {
    }

    /** Held in another register of the callee. */
    record InRegister(int register) implements RegisterRule {
    }

    /** Saved at the address the expression computes (the CFA pushed first). */
    record Expression(DwarfExpression expression) implements RegisterRule {
        public Expression {
            Objects.requireNonNull(expression, "expression");
        }
    }

    /** The value the expression computes (the CFA pushed first). */
    record ValExpression(DwarfExpression expression) implements RegisterRule {
        public ValExpression {
            Objects.requireNonNull(expression, "expression");
        }
    }
}
