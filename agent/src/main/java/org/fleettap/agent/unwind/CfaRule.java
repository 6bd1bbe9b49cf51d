package org.fleettap.agent.unwind;

import java.util.Objects;

/** How a row computes the canonical frame address: a register plus an offset, or an expression. */
sealed interface CfaRule {
    /** CFA = register + offset (DW_CFA_def_cfa and friends). */
    record RegisterOffset(int register, long offset) implements CfaRule {
        @Override
        public String toString() {
            return X86DwarfRegs.name(register) + (offset >= 0 ? "+" : "") + offset;
        }
    }

    /** CFA = value of the expression (DW_CFA_def_cfa_expression). */
    record Expression(DwarfExpression expression) implements CfaRule {
        public Expression {
            Objects.requireNonNull(expression, "expression");
        }
    }
}
