package org.fleettap.agent.demangle;

import java.util.List;

/**
 * One immutable node of a parsed mangled name. Which fields are meaningful depends on {@link #kind}: most kinds use
 * {@link #left} and {@link #right}; names carry {@link #text}; template parameters, lambdas and unnamed types carry
 * {@link #number}; argument lists carry {@link #items}. {@link #id} is unique within one parse, so a printer can keep
 * per-node state in an array.
 */
final class Node {
    enum Kind {
        NAME, SUB_STD, QUAL_NAME, LOCAL_NAME, TYPED_NAME, TAGGED_NAME, TEMPLATE, TEMPLATE_PARAM, FUNCTION_PARAM,
        CTOR, DTOR, STRUCTURED_BINDING, LAMBDA, UNNAMED_TYPE, DEFAULT_ARG, CLONE,
        /** A special name printed as {@code text} followed by {@code left}: vtables, typeinfo, thunks, guards... */
        SPECIAL, CONSTRUCTION_VTABLE, REFTEMP, GLOBAL_CTORS, GLOBAL_DTORS,
        BUILTIN, EXTENDED_BUILTIN, VENDOR_TYPE, FUNCTION_TYPE, ARRAY_TYPE, PTRMEM_TYPE, VECTOR_TYPE,
        POINTER, REFERENCE, RVALUE_REFERENCE, COMPLEX, IMAGINARY, VENDOR_TYPE_QUAL,
        RESTRICT, VOLATILE, CONST,
        RESTRICT_THIS, VOLATILE_THIS, CONST_THIS, REFERENCE_THIS, RVALUE_REFERENCE_THIS, TRANSACTION_SAFE, NOEXCEPT,
        THROW_SPEC,
        ARGLIST, TEMPLATE_ARGLIST, INITIALIZER_LIST, DECLTYPE, PACK_EXPANSION,
        OPERATOR, EXTENDED_OPERATOR, CONVERSION, CAST, NULLARY, UNARY, BINARY, BINARY_ARGS, TRINARY, TRINARY_ARG1,
        TRINARY_ARG2, LITERAL, LITERAL_NEG, NUMBER;

        /** Qualifiers of a function type or of the {@code this} of a member function. */
        boolean isFunctionQualifier() {
            switch (this) {
                case RESTRICT_THIS: case VOLATILE_THIS: case CONST_THIS: case REFERENCE_THIS:
                case RVALUE_REFERENCE_THIS: case TRANSACTION_SAFE: case NOEXCEPT: case THROW_SPEC:
                    return true;
                default:
                    return false;
            }
        }
    }

    final int id;
    final Kind kind;
    final Node left;
    final Node right;
    final String text;
    final long number;
    final List<Node> items;
    final BuiltinType builtin;
    final Operator operator;

    Node(int id, Kind kind, Node left, Node right, String text, long number, List<Node> items, BuiltinType builtin,
            Operator operator) {
        this.id = id;
        this.kind = kind;
        this.left = left;
        this.right = right;
        this.text = text;
        this.number = number;
        this.items = items;
        this.builtin = builtin;
        this.operator = operator;
    }

    boolean is(Kind k) {
        return kind == k;
    }

    @Override
    public String toString() {
        return kind + (text != null ? "(" + text + ")" : "");
    }
}
