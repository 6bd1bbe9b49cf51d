package org.fleettap.agent.demangle;

/** The builtin types of the mangling grammar, with how a literal of each is printed. */
enum BuiltinType {
    SIGNED_CHAR("signed char", Literal.DEFAULT),
    BOOL("bool", Literal.BOOL),
    CHAR("char", Literal.DEFAULT),
    DOUBLE("double", Literal.FLOAT),
    LONG_DOUBLE("long double", Literal.FLOAT),
    FLOAT("float", Literal.FLOAT),
    FLOAT128("__float128", Literal.FLOAT),
    UNSIGNED_CHAR("unsigned char", Literal.DEFAULT),
    INT("int", Literal.INT),
    UNSIGNED_INT("unsigned int", Literal.UNSIGNED),
    LONG("long", Literal.LONG),
    UNSIGNED_LONG("unsigned long", Literal.UNSIGNED_LONG),
    INT128("__int128", Literal.DEFAULT),
    UNSIGNED_INT128("unsigned __int128", Literal.DEFAULT),
    SHORT("short", Literal.DEFAULT),
    UNSIGNED_SHORT("unsigned short", Literal.DEFAULT),
    VOID("void", Literal.VOID),
    WCHAR("wchar_t", Literal.DEFAULT),
    LONG_LONG("long long", Literal.LONG_LONG),
    UNSIGNED_LONG_LONG("unsigned long long", Literal.UNSIGNED_LONG_LONG),
    ELLIPSIS("...", Literal.DEFAULT),
    DECIMAL32("decimal32", Literal.DEFAULT),
    DECIMAL64("decimal64", Literal.DEFAULT),
    DECIMAL128("decimal128", Literal.DEFAULT),
    HALF("half", Literal.FLOAT),
    CHAR8("char8_t", Literal.DEFAULT),
    CHAR16("char16_t", Literal.DEFAULT),
    CHAR32("char32_t", Literal.DEFAULT),
    NULLPTR("decltype(nullptr)", Literal.DEFAULT),
    FLOAT_N("_Float", Literal.FLOAT);

    /** How a literal {@code L <type> <value> E} of the type is printed. */
    enum Literal {
        DEFAULT, INT, UNSIGNED, LONG, UNSIGNED_LONG, LONG_LONG, UNSIGNED_LONG_LONG, BOOL, FLOAT, VOID
    }

    final String text;
    final Literal literal;

    BuiltinType(String text, Literal literal) {
        this.text = text;
        this.literal = literal;
    }

    /** The type of a one-letter code ({@code i} for int), or null. */
    static BuiltinType ofLetter(char c) {
        switch (c) {
            case 'a': return SIGNED_CHAR;
            case 'b': return BOOL;
            case 'c': return CHAR;
            case 'd': return DOUBLE;
            case 'e': return LONG_DOUBLE;
            case 'f': return FLOAT;
            case 'g': return FLOAT128;
            case 'h': return UNSIGNED_CHAR;
            case 'i': return INT;
            case 'j': return UNSIGNED_INT;
            case 'l': return LONG;
            case 'm': return UNSIGNED_LONG;
            case 'n': return INT128;
            case 'o': return UNSIGNED_INT128;
            case 's': return SHORT;
            case 't': return UNSIGNED_SHORT;
            case 'v': return VOID;
            case 'w': return WCHAR;
            case 'x': return LONG_LONG;
            case 'y': return UNSIGNED_LONG_LONG;
            case 'z': return ELLIPSIS;
            default: return null;
        }
    }

    /** The type of a {@code D}-prefixed code ({@code Di} for char32_t), or null. */
    static BuiltinType ofDLetter(char c) {
        switch (c) {
            case 'f': return DECIMAL32;
            case 'd': return DECIMAL64;
            case 'e': return DECIMAL128;
            case 'h': return HALF;
            case 'u': return CHAR8;
            case 's': return CHAR16;
            case 'i': return CHAR32;
            case 'n': return NULLPTR;
            default: return null;
        }
    }
}
