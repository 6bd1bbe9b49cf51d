package org.fleettap.agent.demangle;

/** The two-letter operator codes of the mangling grammar, their printed spelling and their arity. */
enum Operator {
    AND_ASSIGN("aN", "&=", 2), ASSIGN("aS", "=", 2), LOGICAL_AND("aa", "&&", 2), ADDRESS_OF("ad", "&", 1),
    BIT_AND("an", "&", 2), ALIGNOF_TYPE("at", "alignof ", 1), CO_AWAIT("aw", "co_await ", 1),
    ALIGNOF_EXPR("az", "alignof ", 1), CONST_CAST("cc", "const_cast", 2), CALL("cl", "()", 2),
    COMMA("cm", ",", 2), COMPLEMENT("co", "~", 1), DIV_ASSIGN("dV", "/=", 2), RANGE_DESIGNATOR("dX", "[...]=", 3),
    DELETE_ARRAY("da", "delete[] ", 1), DYNAMIC_CAST("dc", "dynamic_cast", 2), DEREFERENCE("de", "*", 1),
    FIELD_DESIGNATOR("di", "=", 2), DELETE("dl", "delete ", 1), DOT_STAR("ds", ".*", 2), DOT("dt", ".", 2),
    DIV("dv", "/", 2), INDEX_DESIGNATOR("dx", "]=", 2), XOR_ASSIGN("eO", "^=", 2), XOR("eo", "^", 2),
    EQUAL("eq", "==", 2), BINARY_LEFT_FOLD("fL", "...", 3), BINARY_RIGHT_FOLD("fR", "...", 3),
    UNARY_LEFT_FOLD("fl", "...", 2), UNARY_RIGHT_FOLD("fr", "...", 2), GREATER_EQUAL("ge", ">=", 2),
    GLOBAL_SCOPE("gs", "::", 1), GREATER("gt", ">", 2), INDEX("ix", "[]", 2), SHIFT_LEFT_ASSIGN("lS", "<<=", 2),
    LESS_EQUAL("le", "<=", 2), LITERAL("li", "operator\"\" ", 1), SHIFT_LEFT("ls", "<<", 2), LESS("lt", "<", 2),
    MINUS_ASSIGN("mI", "-=", 2), MUL_ASSIGN("mL", "*=", 2), MINUS("mi", "-", 2), MUL("ml", "*", 2),
    DECREMENT("mm", "--", 1), NEW_ARRAY("na", "new[]", 3), NOT_EQUAL("ne", "!=", 2), NEGATE("ng", "-", 1),
    NOT("nt", "!", 1), NEW("nw", "new", 3), OR_ASSIGN("oR", "|=", 2),
    LOGICAL_OR("oo", "||", 2), BIT_OR("or", "|", 2), PLUS_ASSIGN("pL", "+=", 2), PLUS("pl", "+", 2),
    MEMBER_POINTER("pm", "->*", 2), INCREMENT("pp", "++", 1), UNARY_PLUS("ps", "+", 1), ARROW("pt", "->", 2),
    CONDITIONAL("qu", "?", 3), MOD_ASSIGN("rM", "%=", 2), SHIFT_RIGHT_ASSIGN("rS", ">>=", 2),
    REINTERPRET_CAST("rc", "reinterpret_cast", 2), MOD("rm", "%", 2), SHIFT_RIGHT("rs", ">>", 2),
    SIZEOF_PACK_ARGS("sP", "sizeof...", 1), SIZEOF_PACK("sZ", "sizeof...", 1), STATIC_CAST("sc", "static_cast", 2),
    SPACESHIP("ss", "<=>", 2), SIZEOF_TYPE("st", "sizeof ", 1), SIZEOF_EXPR("sz", "sizeof ", 1),
    RETHROW("tr", "throw", 0), THROW("tw", "throw ", 1);

    private static final Operator[] BY_CODE = new Operator[128 * 128];

    static {
        for (Operator op : values()) {
            BY_CODE[op.code.charAt(0) * 128 + op.code.charAt(1)] = op;
        }
    }

    final String code;
    final String text;
    final int arity;

    Operator(String code, String text, int arity) {
        this.code = code;
        this.text = text;
        this.arity = arity;
    }

    /** The operator mangled as {@code c1 c2}, or null. */
    static Operator of(char c1, char c2) {
        if (c1 >= 128 || c2 >= 128) {
            return null;
        }
        return BY_CODE[c1 * 128 + c2];
    }

    boolean isNewStyleCast() {
        return this == DYNAMIC_CAST || this == STATIC_CAST || this == CONST_CAST || this == REINTERPRET_CAST;
    }

    boolean isFold() {
        return code.charAt(0) == 'f';
    }
}
