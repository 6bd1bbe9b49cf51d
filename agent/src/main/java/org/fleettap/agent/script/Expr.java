package org.fleettap.agent.script;

import java.util.List;

/** Expressions. Every node carries the location where it starts (for binary operators: the operator). */
public sealed interface Expr {

    SourceLocation location();

    /** An integer literal. */
    record IntLiteral(long value, SourceLocation location) implements Expr {
    }

    /** A string literal (adjacent literals already joined). */
    record StringLiteral(String value, SourceLocation location) implements Expr {
    }

    /** {@code $N} (a number) or {@code @N} (a string): a script argument from the command line. */
    record ScriptArgument(int index, boolean asString, SourceLocation location) implements Expr {
    }

    /** A scalar variable: global, local or function parameter. */
    record Variable(String name, SourceLocation location) implements Expr {
    }

    /** An array element {@code name[k1, k2, ...]}; the array is always a global. */
    record Index(String array, List<Expr> keys, SourceLocation location) implements Expr {
        public Index {
            keys = List.copyOf(keys);
        }
    }

    /** A call of a user function or a builtin. */
    record Call(String function, List<Expr> arguments, SourceLocation location) implements Expr {
        public Call {
            arguments = List.copyOf(arguments);
        }
    }

    /**
     * A target (context) variable: {@code $name}, {@code $name->a->b}, with {@code addressOf} for {@code &$name->a};
     * {@code $return} has the name {@code return}.
     */
    record Target(String name, List<String> members, boolean addressOf, SourceLocation location) implements Expr {
        public Target {
            members = List.copyOf(members);
        }

        public boolean isReturn() {
            return name.equals("return");
        }

        /** The expression as written, e.g. {@code &$mutex->__data->__lock}. */
        public String spelling() {
            StringBuilder sb = new StringBuilder(addressOf ? "&$" : "$").append(name);
            members.forEach(m -> sb.append("->").append(m));
            return sb.toString();
        }
    }

    /** {@code @entry(expr)}: the value {@code expr} had at function entry (return probes only). */
    record Entry(Expr operand, SourceLocation location) implements Expr {
    }

    /** {@code @count(s)} and friends; the operand is a statistic variable or array element. */
    record Aggregate(AggregateOp op, Expr operand, SourceLocation location) implements Expr {
    }

    /** {@code @hist_log(s)} (no parameters) or {@code @hist_linear(s, low, high, width)}. */
    record Histogram(HistogramKind kind, Expr operand, List<Long> parameters, SourceLocation location)
            implements Expr {
        public Histogram {
            parameters = List.copyOf(parameters);
        }
    }

    record Unary(UnaryOp op, Expr operand, SourceLocation location) implements Expr {
    }

    /** {@code ++x}, {@code x--} and so on, on a variable or an array element. */
    record Increment(Expr target, boolean increment, boolean prefix, SourceLocation location) implements Expr {
    }

    record Binary(BinaryOp op, Expr left, Expr right, SourceLocation location) implements Expr {
    }

    record Ternary(Expr condition, Expr then, Expr otherwise, SourceLocation location) implements Expr {
    }

    /** {@code k in arr} or {@code [k1, k2] in arr}. */
    record Membership(List<Expr> keys, String array, SourceLocation location) implements Expr {
        public Membership {
            keys = List.copyOf(keys);
        }
    }

    /** {@code =}, {@code +=}, ..., {@code .=} on a variable or an array element. */
    record Assign(AssignOp op, Expr target, Expr value, SourceLocation location) implements Expr {
    }

    /** {@code s <<< v}: adds {@code v} to the statistic {@code s} (a global or a global array element). */
    record Accumulate(Expr target, Expr value, SourceLocation location) implements Expr {
    }

    enum AggregateOp {
        COUNT("@count"), SUM("@sum"), MIN("@min"), MAX("@max"), AVG("@avg");

        private final String spelling;

        AggregateOp(String spelling) {
            this.spelling = spelling;
        }

        public String spelling() {
            return spelling;
        }
    }

    enum HistogramKind {
        LOG("@hist_log"), LINEAR("@hist_linear");

        private final String spelling;

        HistogramKind(String spelling) {
            this.spelling = spelling;
        }

        public String spelling() {
            return spelling;
        }
    }

    enum UnaryOp {
        NEGATE("-"), PLUS("+"), NOT("!"), COMPLEMENT("~");

        private final String spelling;

        UnaryOp(String spelling) {
            this.spelling = spelling;
        }

        public String spelling() {
            return spelling;
        }
    }

    enum BinaryOp {
        OR("||"), AND("&&"), BIT_OR("|"), BIT_XOR("^"), BIT_AND("&"),
        EQ("=="), NE("!="), LT("<"), LE("<="), GT(">"), GE(">="),
        SHL("<<"), SHR(">>"), CONCAT("."), ADD("+"), SUB("-"), MUL("*"), DIV("/"), MOD("%");

        private final String spelling;

        BinaryOp(String spelling) {
            this.spelling = spelling;
        }

        public String spelling() {
            return spelling;
        }

        public boolean isComparison() {
            return this == EQ || this == NE || this == LT || this == LE || this == GT || this == GE;
        }
    }

    enum AssignOp {
        ASSIGN("=", null), ADD("+=", BinaryOp.ADD), SUB("-=", BinaryOp.SUB), MUL("*=", BinaryOp.MUL),
        DIV("/=", BinaryOp.DIV), MOD("%=", BinaryOp.MOD), SHL("<<=", BinaryOp.SHL), SHR(">>=", BinaryOp.SHR),
        AND("&=", BinaryOp.BIT_AND), OR("|=", BinaryOp.BIT_OR), XOR("^=", BinaryOp.BIT_XOR),
        CONCAT(".=", BinaryOp.CONCAT);

        private final String spelling;
        private final BinaryOp binary;

        AssignOp(String spelling, BinaryOp binary) {
            this.spelling = spelling;
            this.binary = binary;
        }

        public String spelling() {
            return spelling;
        }

        /** The operator applied before storing, or {@code null} for plain {@code =}. */
        public BinaryOp binary() {
            return binary;
        }
    }
}
