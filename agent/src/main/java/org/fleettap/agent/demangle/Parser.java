package org.fleettap.agent.demangle;

import java.util.ArrayList;
import java.util.List;
import org.fleettap.agent.demangle.Node.Kind;

/**
 * A recursive-descent parser of one mangled name (Itanium C++ ABI, as g++ emits it and as GNU c++filt reads it) into a
 * tree of {@link Node}s, one method per grammar rule. Template parameters are left unresolved: the {@link Printer}
 * resolves them against the enclosing template, as c++filt does. A parser is used once.
 */
final class Parser {
    /** Deepest nesting of grammar rules accepted; deeper input is rejected rather than risking the stack. */
    static final int MAX_DEPTH = 256;
    /**
     * Most grammar rules entered for one name (the only backtracking, for conversion operators, could otherwise be
     * exponential); far above what real names need, which is linear in their length.
     */
    static final int MAX_WORK = 1 << 18;

    /** Thrown (without a stack trace) when the input does not parse; caught by {@link #parse}. */
    private static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Failure() {
            super("not a mangled name", null, false, false);
        }
    }

    private static final Failure FAILURE = new Failure();

    private final String s;
    private final boolean params;
    private int pos;
    private int depth;
    private int work;
    private int nodeCount;
    private final ArrayList<Node> substitutions = new ArrayList<>();
    private Node lastName;
    private boolean isExpression;
    private boolean isConversion;
    /**
     * How to read {@code sr <qualifier-level>+ E <name>}, which is ambiguous with the older {@code sr <type> <name>}:
     * 1 = try the current grammar, -1 = the current grammar was used, 0 = use the old grammar.
     */
    private int unresolvedNameState;

    private Parser(String s, boolean params) {
        this.s = s;
        this.params = params;
    }

    /** The tree of a whole symbol (mangled name or {@code _GLOBAL_} constructor name), or null. */
    static Parsed parse(String symbol, boolean params) {
        Parser first = new Parser(symbol, params);
        first.unresolvedNameState = 1;
        Parsed parsed = first.parseSymbol();
        if (parsed == null && first.unresolvedNameState == -1) {
            // An "sr" name was read with the current grammar and the whole parse failed: retry with the old one.
            Parser second = new Parser(symbol, params);
            second.unresolvedNameState = 0;
            parsed = second.parseSymbol();
        }
        return parsed;
    }

    private Parsed parseSymbol() {
        try {
            Node root;
            if (s.startsWith("_Z")) {
                root = mangledName(true);
            } else if (isGlobalConstructor(s)) {
                pos = 11;
                Node keyed;
                if (peek() == '_' && peek(1) == 'Z') {
                    pos += 2;
                    keyed = encoding(false);
                } else {
                    keyed = name(s.substring(11));
                    pos = s.length();
                }
                root = make(s.charAt(9) == 'I' ? Kind.GLOBAL_CTORS : Kind.GLOBAL_DTORS, keyed, null);
            } else {
                return null;
            }
            if (params && pos != s.length()) {
                return null;
            }
            return new Parsed(root, nodeCount);
        } catch (Failure e) {
            return null;
        }
    }

    /** {@code _GLOBAL_} {@code . _ $} {@code I D} {@code _}: g++'s old global constructor/destructor names. */
    private static boolean isGlobalConstructor(String symbol) {
        if (symbol.length() < 11 || !symbol.startsWith("_GLOBAL_")) {
            return false;
        }
        char sep = symbol.charAt(8);
        char kind = symbol.charAt(9);
        return (sep == '.' || sep == '_' || sep == '$') && (kind == 'I' || kind == 'D') && symbol.charAt(10) == '_';
    }

    /** A parsed tree and how many nodes it has (node ids are below that). */
    record Parsed(Node root, int nodeCount) {
    }

    /** A parsed qualifier, before the type it qualifies is known: its kind and argument (noexcept(expr), throw(T)). */
    private record Qualifier(Kind kind, Node argument) {
    }

    // ---- input ----

    private char peek() {
        return pos < s.length() ? s.charAt(pos) : 0;
    }

    private char peek(int ahead) {
        int i = pos + ahead;
        return i < s.length() ? s.charAt(i) : 0;
    }

    private char next() {
        if (pos >= s.length()) {
            return 0;
        }
        return s.charAt(pos++);
    }

    private boolean consume(char c) {
        if (pos < s.length() && s.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!consume(c)) {
            throw FAILURE;
        }
    }

    private static Failure fail() {
        return FAILURE;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isLower(char c) {
        return c >= 'a' && c <= 'z';
    }

    private static boolean isUpper(char c) {
        return c >= 'A' && c <= 'Z';
    }

    private void enter() {
        if (++depth > MAX_DEPTH || ++work > MAX_WORK) {
            throw FAILURE;
        }
    }

    private void leave() {
        depth--;
    }

    // ---- nodes ----

    private Node make(Kind kind, Node left, Node right) {
        return new Node(nodeCount++, kind, left, right, null, 0, null, null, null);
    }

    private Node name(String text) {
        return new Node(nodeCount++, Kind.NAME, null, null, text, 0, null, null, null);
    }

    private Node withText(Kind kind, Node left, Node right, String text) {
        return new Node(nodeCount++, kind, left, right, text, 0, null, null, null);
    }

    private Node withNumber(Kind kind, Node left, long number) {
        return new Node(nodeCount++, kind, left, null, null, number, null, null, null);
    }

    private Node list(Kind kind, List<Node> items) {
        return new Node(nodeCount++, kind, null, null, null, 0, List.copyOf(items), null, null);
    }

    private Node builtin(BuiltinType type) {
        return new Node(nodeCount++, Kind.BUILTIN, null, null, null, 0, null, type, null);
    }

    private Node operator(Operator op) {
        return new Node(nodeCount++, Kind.OPERATOR, null, null, null, 0, null, null, op);
    }

    private void addSubstitution(Node n) {
        substitutions.add(n);
    }

    // ---- numbers ----

    /** {@code [n] <digits>}; -1 on overflow of a 32-bit int, 0 if there are no digits. */
    private int number() {
        boolean negative = consume('n');
        int value = 0;
        while (isDigit(peek())) {
            int d = peek() - '0';
            if (value > (Integer.MAX_VALUE - d) / 10) {
                return -1;
            }
            value = value * 10 + d;
            pos++;
        }
        return negative ? -value : value;
    }

    /** {@code _} is 0, {@code <number> _} is number+1. */
    private int compactNumber() {
        int n;
        if (peek() == '_') {
            n = 0;
        } else if (peek() == 'n') {
            throw fail();
        } else {
            n = number() + 1;
        }
        if (n < 0) {
            throw fail();
        }
        expect('_');
        return n;
    }

    // ---- names ----

    private Node mangledName(boolean topLevel) {
        if (!consume('_') && topLevel) {
            throw fail();
        }
        expect('Z');
        Node p = encoding(topLevel);
        if (topLevel && params) {
            while (peek() == '.' && (isLower(peek(1)) || peek(1) == '_' || isDigit(peek(1)))) {
                p = cloneSuffix(p);
            }
        }
        return p;
    }

    private Node cloneSuffix(Node encoding) {
        int start = pos;
        int end = pos;
        if (s.charAt(end) == '.' && end + 1 < s.length()
                && (isLower(s.charAt(end + 1)) || isDigit(s.charAt(end + 1)) || s.charAt(end + 1) == '_')) {
            end += 2;
            while (end < s.length() && (isLower(s.charAt(end)) || isDigit(s.charAt(end)) || s.charAt(end) == '_')) {
                end++;
            }
        }
        while (end + 1 < s.length() && s.charAt(end) == '.' && isDigit(s.charAt(end + 1))) {
            end += 2;
            while (end < s.length() && isDigit(s.charAt(end))) {
                end++;
            }
        }
        pos = end;
        return make(Kind.CLONE, encoding, name(s.substring(start, end)));
    }

    private Node encoding(boolean topLevel) {
        enter();
        try {
            char c = peek();
            if (c == 'G' || c == 'T') {
                return specialName();
            }
            Node dc = name();
            if (topLevel && !params) {
                while (dc.kind.isFunctionQualifier()) {
                    dc = dc.left;
                }
                if (dc.is(Kind.LOCAL_NAME)) {
                    Node r = dc.right;
                    while (r.kind.isFunctionQualifier()) {
                        r = r.left;
                    }
                    if (r != dc.right) {
                        dc = make(Kind.LOCAL_NAME, dc.left, r);
                    }
                }
                return dc;
            }
            c = peek();
            if (c == 0 || c == 'E') {
                return dc;
            }
            Node type = bareFunctionType(hasReturnType(dc));
            if (!topLevel && dc.is(Kind.LOCAL_NAME) && type.left != null) {
                type = make(Kind.FUNCTION_TYPE, null, type.right);
            }
            return make(Kind.TYPED_NAME, dc, type);
        } finally {
            leave();
        }
    }

    private static boolean hasReturnType(Node dc) {
        while (dc != null) {
            if (dc.is(Kind.LOCAL_NAME)) {
                dc = dc.right;
            } else if (dc.is(Kind.TEMPLATE)) {
                return !isCtorDtorOrConversion(dc.left);
            } else if (dc.kind.isFunctionQualifier()) {
                dc = dc.left;
            } else {
                return false;
            }
        }
        return false;
    }

    private static boolean isCtorDtorOrConversion(Node dc) {
        while (dc != null) {
            switch (dc.kind) {
                case QUAL_NAME:
                case LOCAL_NAME:
                    dc = dc.right;
                    break;
                case CTOR:
                case DTOR:
                case CONVERSION:
                    return true;
                default:
                    return false;
            }
        }
        return false;
    }

    private Node name() {
        enter();
        try {
            switch (peek()) {
                case 'N':
                    return nestedName();
                case 'Z':
                    return localName();
                case 'U':
                    return unqualifiedName(null);
                case 'S': {
                    Node dc;
                    boolean fromSubstitution;
                    if (peek(1) != 't') {
                        dc = substitution(false);
                        fromSubstitution = true;
                    } else {
                        pos += 2;
                        dc = unqualifiedName(name("std"));
                        fromSubstitution = false;
                    }
                    if (peek() == 'I') {
                        if (!fromSubstitution) {
                            addSubstitution(dc);
                        }
                        dc = make(Kind.TEMPLATE, dc, templateArgs());
                    }
                    return dc;
                }
                default: {
                    Node dc = unqualifiedName(null);
                    if (peek() == 'I') {
                        addSubstitution(dc);
                        dc = make(Kind.TEMPLATE, dc, templateArgs());
                    }
                    return dc;
                }
            }
        } finally {
            leave();
        }
    }

    private Node nestedName() {
        expect('N');
        List<Qualifier> quals = cvQualifiers(true);
        Kind refQualifier = null;
        if (peek() == 'R' || peek() == 'O') {
            refQualifier = next() == 'R' ? Kind.REFERENCE_THIS : Kind.RVALUE_REFERENCE_THIS;
        }
        Node ret = wrapQualifiers(quals, prefix(true));
        if (refQualifier != null) {
            ret = make(refQualifier, ret, null);
        }
        expect('E');
        return ret;
    }

    /** Applies qualifiers parsed outermost-first around {@code inner}. */
    private Node wrapQualifiers(List<Qualifier> quals, Node inner) {
        Node n = inner;
        for (int i = quals.size() - 1; i >= 0; i--) {
            n = make(quals.get(i).kind(), n, quals.get(i).argument());
        }
        return n;
    }

    private Node prefix(boolean substitutable) {
        Node ret = null;
        while (true) {
            char c = peek();
            if (c == 'D' && (peek(1) == 'T' || peek(1) == 't')) {
                if (ret != null) {
                    throw fail();
                }
                ret = type();
            } else if (c == 'I') {
                if (ret == null) {
                    throw fail();
                }
                ret = make(Kind.TEMPLATE, ret, templateArgs());
            } else if (c == 'T') {
                if (ret != null) {
                    throw fail();
                }
                ret = templateParam();
            } else if (c == 'M') {
                if (ret == null) {
                    throw fail();
                }
                pos++;
                continue;
            } else if (c == 'S') {
                if (ret != null) {
                    throw fail();
                }
                ret = substitution(true);
                continue;
            } else {
                ret = unqualifiedName(ret);
            }
            if (peek() == 'E') {
                return ret;
            }
            if (substitutable) {
                addSubstitution(ret);
            }
        }
    }

    private Node unqualifiedName(Node scope) {
        char c = peek();
        Node ret;
        if (isDigit(c)) {
            ret = sourceName();
        } else if (isLower(c)) {
            boolean wasExpression = isExpression;
            if (c == 'o' && peek(1) == 'n') {
                pos += 2;
                isExpression = false;
            }
            ret = operatorName();
            isExpression = wasExpression;
            if (ret.is(Kind.OPERATOR) && ret.operator == Operator.LITERAL) {
                ret = make(Kind.UNARY, ret, sourceName());
            }
        } else if (c == 'D' && peek(1) == 'C') {
            pos += 2;
            List<Node> names = new ArrayList<>();
            do {
                names.add(sourceName());
            } while (peek() != 'E');
            pos++;
            ret = make(Kind.STRUCTURED_BINDING, list(Kind.ARGLIST, names), null);
        } else if (c == 'C' || c == 'D') {
            ret = ctorDtorName();
        } else if (c == 'L') {
            pos++;
            ret = sourceName();
            discriminator();
        } else if (c == 'U') {
            if (peek(1) == 'l') {
                ret = lambda();
            } else if (peek(1) == 't') {
                ret = unnamedType();
            } else {
                throw fail();
            }
        } else {
            throw fail();
        }
        if (peek() == 'B') {
            ret = abiTags(ret);
        }
        if (scope != null) {
            ret = make(Kind.QUAL_NAME, scope, ret);
        }
        return ret;
    }

    private Node sourceName() {
        int len = number();
        if (len <= 0 || s.length() - pos < len) {
            throw fail();
        }
        int start = pos;
        pos += len;
        Node n;
        if (len >= 10 && s.startsWith("_GLOBAL_", start) && "._$".indexOf(s.charAt(start + 8)) >= 0
                && s.charAt(start + 9) == 'N') {
            n = name("(anonymous namespace)");
        } else {
            n = name(s.substring(start, pos));
        }
        lastName = n;
        return n;
    }

    private Node abiTags(Node dc) {
        Node hold = lastName;
        while (consume('B')) {
            dc = make(Kind.TAGGED_NAME, dc, sourceName());
        }
        lastName = hold;
        return dc;
    }

    private void discriminator() {
        if (!consume('_')) {
            return;
        }
        boolean twoUnderscores = consume('_');
        int n = number();
        if (n < 0) {
            throw fail();
        }
        if (twoUnderscores && n >= 10) {
            expect('_');
        }
    }

    private Node ctorDtorName() {
        if (peek() == 'C') {
            boolean inheriting = false;
            if (peek(1) == 'I') {
                inheriting = true;
                pos++;
            }
            char k = peek(1);
            if (k < '1' || k > '5') {
                throw fail();
            }
            pos += 2;
            if (inheriting) {
                type();
            }
            if (lastName == null) {
                throw fail();
            }
            return make(Kind.CTOR, lastName, null);
        }
        char k = peek(1);
        if (k != '0' && k != '1' && k != '2' && k != '4' && k != '5') {
            throw fail();
        }
        pos += 2;
        if (lastName == null) {
            throw fail();
        }
        return make(Kind.DTOR, lastName, null);
    }

    private Node lambda() {
        pos += 2;
        Node params = parameterList();
        expect('E');
        int number = compactNumber();
        return withNumber(Kind.LAMBDA, params, number);
    }

    private Node unnamedType() {
        pos += 2;
        Node n = withNumber(Kind.UNNAMED_TYPE, null, compactNumber());
        addSubstitution(n);
        return n;
    }

    private Node operatorName() {
        char c1 = next();
        char c2 = next();
        if (c1 == 'v' && isDigit(c2)) {
            return withNumber(Kind.EXTENDED_OPERATOR, sourceName(), c2 - '0');
        }
        if (c1 == 'c' && c2 == 'v') {
            boolean wasConversion = isConversion;
            isConversion = !isExpression;
            Node t = type();
            Node res = make(isConversion ? Kind.CONVERSION : Kind.CAST, t, null);
            isConversion = wasConversion;
            return res;
        }
        Operator op = Operator.of(c1, c2);
        if (op == null) {
            throw fail();
        }
        return operator(op);
    }

    private Node localName() {
        expect('Z');
        Node function = encoding(false);
        expect('E');
        Node entity;
        if (consume('s')) {
            discriminator();
            entity = name("string literal");
        } else {
            int defaultArg = -1;
            if (consume('d')) {
                defaultArg = compactNumber();
            }
            entity = name();
            if (!entity.is(Kind.LAMBDA) && !entity.is(Kind.UNNAMED_TYPE)) {
                discriminator();
            }
            if (defaultArg >= 0) {
                entity = withNumber(Kind.DEFAULT_ARG, entity, defaultArg);
            }
        }
        if (function.is(Kind.TYPED_NAME) && function.right.is(Kind.FUNCTION_TYPE) && function.right.left != null) {
            function = make(Kind.TYPED_NAME, function.left, make(Kind.FUNCTION_TYPE, null, function.right.right));
        }
        return make(Kind.LOCAL_NAME, function, entity);
    }

    private Node specialName() {
        if (consume('T')) {
            switch (next()) {
                case 'V':
                    return special("vtable for ", type());
                case 'T':
                    return special("VTT for ", type());
                case 'I':
                    return special("typeinfo for ", type());
                case 'S':
                    return special("typeinfo name for ", type());
                case 'F':
                    return special("typeinfo fn for ", type());
                case 'J':
                    return special("java Class for ", type());
                case 'h':
                    callOffset('h');
                    return special("non-virtual thunk to ", encoding(false));
                case 'v':
                    callOffset('v');
                    return special("virtual thunk to ", encoding(false));
                case 'c':
                    callOffset(next());
                    callOffset(next());
                    return special("covariant return thunk to ", encoding(false));
                case 'C': {
                    Node derived = type();
                    if (number() < 0) {
                        throw fail();
                    }
                    expect('_');
                    Node base = type();
                    return make(Kind.CONSTRUCTION_VTABLE, base, derived);
                }
                case 'H':
                    return special("TLS init function for ", name());
                case 'W':
                    return special("TLS wrapper function for ", name());
                case 'A':
                    return special("template parameter object for ", templateArg());
                default:
                    throw fail();
            }
        }
        expect('G');
        switch (next()) {
            case 'V':
                return special("guard variable for ", name());
            case 'R': {
                Node n = name();
                return make(Kind.REFTEMP, n, withNumber(Kind.NUMBER, null, number()));
            }
            case 'A':
                return special("hidden alias for ", encoding(false));
            case 'T':
                if (next() == 'n') {
                    return special("non-transaction clone for ", encoding(false));
                }
                return special("transaction clone for ", encoding(false));
            default:
                throw fail();
        }
    }

    private Node special(String text, Node of) {
        return withText(Kind.SPECIAL, of, null, text);
    }

    private void callOffset(char c) {
        if (c == 'h') {
            number();
        } else if (c == 'v') {
            number();
            expect('_');
            number();
        } else {
            throw fail();
        }
        expect('_');
    }

    // ---- substitutions ----

    private Node substitution(boolean inPrefix) {
        expect('S');
        char c = next();
        if (c == '_' || isDigit(c) || isUpper(c)) {
            long id = 0;
            if (c != '_') {
                do {
                    if (isDigit(c)) {
                        id = id * 36 + c - '0';
                    } else if (isUpper(c)) {
                        id = id * 36 + c - 'A' + 10;
                    } else {
                        throw fail();
                    }
                    if (id > Integer.MAX_VALUE) {
                        throw fail();
                    }
                    c = next();
                } while (c != '_');
                id++;
            }
            if (id >= substitutions.size()) {
                throw fail();
            }
            return substitutions.get((int) id);
        }
        String full;
        String last;
        switch (c) {
            case 't':
                full = "std";
                last = null;
                break;
            case 'a':
                full = "std::allocator";
                last = "allocator";
                break;
            case 'b':
                full = "std::basic_string";
                last = "basic_string";
                break;
            case 's':
                full = "std::basic_string<char, std::char_traits<char>, std::allocator<char> >";
                last = "basic_string";
                break;
            case 'i':
                full = "std::basic_istream<char, std::char_traits<char> >";
                last = "basic_istream";
                break;
            case 'o':
                full = "std::basic_ostream<char, std::char_traits<char> >";
                last = "basic_ostream";
                break;
            case 'd':
                full = "std::basic_iostream<char, std::char_traits<char> >";
                last = "basic_iostream";
                break;
            default:
                throw fail();
        }
        if (last != null) {
            lastName = withText(Kind.SUB_STD, null, null, last);
        }
        Node dc = withText(Kind.SUB_STD, null, null, full);
        if (peek() == 'B') {
            dc = abiTags(dc);
            addSubstitution(dc);
        }
        return dc;
    }

    // ---- types ----

    private boolean nextIsTypeQualifier() {
        char c = peek();
        if (c == 'r' || c == 'V' || c == 'K') {
            return true;
        }
        if (c == 'D') {
            char d = peek(1);
            return d == 'x' || d == 'o' || d == 'O' || d == 'w';
        }
        return false;
    }

    /**
     * Qualifiers, outermost first. Before a function type, plain cv-qualifiers become qualifiers of {@code this} (they
     * qualify the member function, not the type).
     */
    private List<Qualifier> cvQualifiers(boolean memberFunction) {
        List<Qualifier> quals = new ArrayList<>(2);
        while (nextIsTypeQualifier()) {
            char c = next();
            Kind kind;
            Node arg = null;
            if (c == 'r') {
                kind = Kind.RESTRICT;
            } else if (c == 'V') {
                kind = Kind.VOLATILE;
            } else if (c == 'K') {
                kind = Kind.CONST;
            } else {
                c = next();
                if (c == 'x') {
                    kind = Kind.TRANSACTION_SAFE;
                } else if (c == 'o' || c == 'O') {
                    kind = Kind.NOEXCEPT;
                    if (c == 'O') {
                        arg = expression();
                        expect('E');
                    }
                } else {
                    kind = Kind.THROW_SPEC;
                    arg = parameterList();
                    expect('E');
                }
            }
            quals.add(new Qualifier(kind, arg));
        }
        if (memberFunction || peek() == 'F') {
            quals.replaceAll(q -> new Qualifier(ofThis(q.kind()), q.argument()));
        }
        return quals;
    }

    private static Kind ofThis(Kind k) {
        switch (k) {
            case RESTRICT:
                return Kind.RESTRICT_THIS;
            case VOLATILE:
                return Kind.VOLATILE_THIS;
            case CONST:
                return Kind.CONST_THIS;
            default:
                return k;
        }
    }

    Node type() {
        enter();
        try {
            return typeInner();
        } finally {
            leave();
        }
    }

    private Node typeInner() {
        if (nextIsTypeQualifier()) {
            List<Qualifier> quals = cvQualifiers(false);
            Node inner = peek() == 'F' ? functionType() : type();
            Node ret;
            if (inner.is(Kind.REFERENCE_THIS) || inner.is(Kind.RVALUE_REFERENCE_THIS)) {
                ret = make(inner.kind, wrapQualifiers(quals, inner.left), null);
            } else {
                ret = wrapQualifiers(quals, inner);
            }
            addSubstitution(ret);
            return ret;
        }
        char c = peek();
        Node ret;
        boolean substitutable = true;
        switch (c) {
            case 'a': case 'b': case 'c': case 'd': case 'e': case 'f': case 'g': case 'h': case 'i': case 'j':
            case 'l': case 'm': case 'n': case 'o': case 's': case 't': case 'v': case 'w': case 'x': case 'y':
            case 'z':
                pos++;
                return builtin(BuiltinType.ofLetter(c));
            case 'u':
                pos++;
                ret = make(Kind.VENDOR_TYPE, sourceName(), null);
                break;
            case 'F':
                ret = functionType();
                break;
            case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
            case 'N':
            case 'Z':
                ret = name();
                break;
            case 'A':
                ret = arrayType();
                break;
            case 'M':
                ret = pointerToMemberType();
                break;
            case 'T':
                ret = templateParam();
                if (peek() == 'I') {
                    if (!isConversion) {
                        addSubstitution(ret);
                        ret = make(Kind.TEMPLATE, ret, templateArgs());
                    } else {
                        int savedPos = pos;
                        int savedSubs = substitutions.size();
                        Node args = null;
                        try {
                            args = templateArgs();
                        } catch (Failure e) {
                            args = null;
                        }
                        if (args != null && peek() == 'I') {
                            addSubstitution(ret);
                            ret = make(Kind.TEMPLATE, ret, args);
                        } else {
                            pos = savedPos;
                            while (substitutions.size() > savedSubs) {
                                substitutions.remove(substitutions.size() - 1);
                            }
                        }
                    }
                }
                break;
            case 'S': {
                char n = peek(1);
                if (isDigit(n) || n == '_' || isUpper(n)) {
                    ret = substitution(false);
                    if (peek() == 'I') {
                        ret = make(Kind.TEMPLATE, ret, templateArgs());
                    } else {
                        substitutable = false;
                    }
                } else {
                    ret = name();
                    if (ret.is(Kind.SUB_STD)) {
                        substitutable = false;
                    }
                }
                break;
            }
            case 'O':
                pos++;
                ret = make(Kind.RVALUE_REFERENCE, type(), null);
                break;
            case 'P':
                pos++;
                ret = make(Kind.POINTER, type(), null);
                break;
            case 'R':
                pos++;
                ret = make(Kind.REFERENCE, type(), null);
                break;
            case 'C':
                pos++;
                ret = make(Kind.COMPLEX, type(), null);
                break;
            case 'G':
                pos++;
                ret = make(Kind.IMAGINARY, type(), null);
                break;
            case 'U': {
                pos++;
                Node qualifier = sourceName();
                if (peek() == 'I') {
                    qualifier = make(Kind.TEMPLATE, qualifier, templateArgs());
                }
                ret = make(Kind.VENDOR_TYPE_QUAL, type(), qualifier);
                break;
            }
            case 'D':
                pos++;
                c = next();
                switch (c) {
                    case 'T':
                    case 't':
                        ret = make(Kind.DECLTYPE, expression(), null);
                        expect('E');
                        break;
                    case 'p':
                        ret = make(Kind.PACK_EXPANSION, type(), null);
                        break;
                    case 'a':
                        return name("auto");
                    case 'c':
                        return name("decltype(auto)");
                    case 'F': {
                        int bits = number();
                        char suffix = 0;
                        if (peek() == 'x') {
                            suffix = 'x';
                        } else if (peek() != '_') {
                            throw fail();
                        }
                        pos++;
                        return new Node(nodeCount++, Kind.EXTENDED_BUILTIN, null, null,
                                suffix == 0 ? "" : "x", bits, null, BuiltinType.FLOAT_N, null);
                    }
                    case 'v':
                        ret = vectorType();
                        break;
                    default: {
                        BuiltinType t = BuiltinType.ofDLetter(c);
                        if (t == null) {
                            throw fail();
                        }
                        return builtin(t);
                    }
                }
                break;
            default:
                throw fail();
        }
        if (substitutable) {
            addSubstitution(ret);
        }
        return ret;
    }

    private Node functionType() {
        expect('F');
        consume('Y');
        Node ret = bareFunctionType(true);
        if (peek() == 'R' || peek() == 'O') {
            ret = make(next() == 'R' ? Kind.REFERENCE_THIS : Kind.RVALUE_REFERENCE_THIS, ret, null);
        }
        expect('E');
        return ret;
    }

    private Node bareFunctionType(boolean hasReturnType) {
        if (consume('J')) {
            hasReturnType = true;
        }
        Node ret = hasReturnType ? type() : null;
        return make(Kind.FUNCTION_TYPE, ret, parameterList());
    }

    private Node parameterList() {
        List<Node> types = new ArrayList<>();
        while (true) {
            char c = peek();
            if (c == 0 || c == 'E' || c == '.') {
                break;
            }
            if ((c == 'R' || c == 'O') && peek(1) == 'E') {
                break;
            }
            types.add(type());
        }
        if (types.isEmpty()) {
            throw fail();
        }
        if (types.size() == 1 && types.get(0).is(Kind.BUILTIN) && types.get(0).builtin == BuiltinType.VOID) {
            types.clear();
        }
        return list(Kind.ARGLIST, types);
    }

    private Node arrayType() {
        expect('A');
        Node dim;
        char c = peek();
        if (c == '_') {
            dim = null;
        } else if (isDigit(c)) {
            int start = pos;
            while (isDigit(peek())) {
                pos++;
            }
            dim = name(s.substring(start, pos));
        } else {
            dim = expression();
        }
        expect('_');
        return make(Kind.ARRAY_TYPE, dim, type());
    }

    private Node vectorType() {
        Node dim;
        if (consume('_')) {
            dim = expression();
        } else {
            dim = withNumber(Kind.NUMBER, null, number());
        }
        expect('_');
        return make(Kind.VECTOR_TYPE, dim, type());
    }

    private Node pointerToMemberType() {
        expect('M');
        Node cls = type();
        Node member = type();
        return make(Kind.PTRMEM_TYPE, cls, member);
    }

    private Node templateParam() {
        expect('T');
        return withNumber(Kind.TEMPLATE_PARAM, null, compactNumber());
    }

    private Node templateArgs() {
        Node hold = lastName;
        char c = peek();
        if (c != 'I' && c != 'J') {
            throw fail();
        }
        pos++;
        if (consume('E')) {
            return list(Kind.TEMPLATE_ARGLIST, List.of());
        }
        List<Node> args = new ArrayList<>();
        do {
            args.add(templateArg());
        } while (!consume('E'));
        lastName = hold;
        return list(Kind.TEMPLATE_ARGLIST, args);
    }

    private Node templateArg() {
        enter();
        try {
            switch (peek()) {
                case 'X': {
                    pos++;
                    Node e = expression();
                    expect('E');
                    return e;
                }
                case 'L':
                    return exprPrimary();
                case 'I':
                case 'J':
                    return templateArgs();
                default:
                    return type();
            }
        } finally {
            leave();
        }
    }

    // ---- expressions ----

    private Node expression() {
        boolean was = isExpression;
        isExpression = true;
        try {
            return expressionInner();
        } finally {
            isExpression = was;
        }
    }

    private Node expressionInner() {
        enter();
        try {
            return expressionRule();
        } finally {
            leave();
        }
    }

    private Node expressionRule() {
        char c = peek();
        char c1 = peek(1);
        if (c == 'L') {
            return exprPrimary();
        }
        if (c == 'T') {
            return templateParam();
        }
        if (c == 's' && c1 == 'r') {
            return unresolvedName();
        }
        if (c == 's' && c1 == 'p') {
            pos += 2;
            return make(Kind.PACK_EXPANSION, expressionInner(), null);
        }
        if (c == 'f' && c1 == 'p') {
            pos += 2;
            int index;
            if (consume('T')) {
                index = 0;
            } else {
                index = compactNumber();
                if (index == Integer.MAX_VALUE) {
                    throw fail();
                }
                index++;
            }
            return withNumber(Kind.FUNCTION_PARAM, null, index);
        }
        if (isDigit(c) || (c == 'o' && c1 == 'n')) {
            if (c == 'o') {
                pos += 2;
            }
            Node n = unqualifiedName(null);
            if (peek() == 'I') {
                return make(Kind.TEMPLATE, n, templateArgs());
            }
            return n;
        }
        if ((c == 'i' || c == 't') && c1 == 'l') {
            pos += 2;
            Node t = c == 't' ? type() : null;
            if (peek() == 0 || peek(1) == 0) {
                throw fail();
            }
            return make(Kind.INITIALIZER_LIST, t, expressionList('E'));
        }
        Node op = operatorName();
        Operator code = null;
        int args;
        if (op.is(Kind.OPERATOR)) {
            code = op.operator;
            if (code == Operator.SIZEOF_TYPE) {
                return make(Kind.UNARY, op, type());
            }
            args = code.arity;
        } else if (op.is(Kind.EXTENDED_OPERATOR)) {
            args = (int) op.number;
        } else if (op.is(Kind.CAST)) {
            args = 1;
        } else {
            throw fail();
        }
        switch (args) {
            case 0:
                return make(Kind.NULLARY, op, null);
            case 1: {
                boolean suffix = false;
                if (code == Operator.INCREMENT || code == Operator.DECREMENT) {
                    suffix = !consume('_');
                }
                Node operand;
                if (op.is(Kind.CAST) && consume('_')) {
                    operand = expressionList('E');
                } else if (code == Operator.SIZEOF_PACK_ARGS) {
                    operand = templateArgsAfterOpen();
                } else {
                    operand = expressionInner();
                }
                if (suffix) {
                    operand = make(Kind.BINARY_ARGS, operand, operand);
                }
                return make(Kind.UNARY, op, operand);
            }
            case 2: {
                if (code == null) {
                    throw fail();
                }
                Node left;
                if (code.isNewStyleCast()) {
                    left = type();
                } else if (code.isFold()) {
                    left = operatorName();
                } else if (code == Operator.FIELD_DESIGNATOR) {
                    left = unqualifiedName(null);
                } else {
                    left = expressionInner();
                }
                Node right;
                if (code == Operator.CALL) {
                    right = expressionList('E');
                } else if (code == Operator.DOT || code == Operator.ARROW) {
                    char p = peek();
                    if ((p == 'g' && peek(1) == 's') || (p == 's' && peek(1) == 'r')) {
                        right = expressionInner();
                    } else {
                        right = unqualifiedName(null);
                        if (peek() == 'I') {
                            right = make(Kind.TEMPLATE, right, templateArgs());
                        }
                    }
                } else {
                    right = expressionInner();
                }
                return make(Kind.BINARY, op, make(Kind.BINARY_ARGS, left, right));
            }
            case 3: {
                if (code == null) {
                    throw fail();
                }
                Node first;
                Node second;
                Node third;
                if (code == Operator.CONDITIONAL || code == Operator.RANGE_DESIGNATOR) {
                    first = expressionInner();
                    second = expressionInner();
                    third = expressionInner();
                } else if (code.isFold()) {
                    first = operatorName();
                    second = expressionInner();
                    third = expressionInner();
                } else if (code == Operator.NEW || code == Operator.NEW_ARRAY) {
                    first = expressionList('_');
                    second = type();
                    if (consume('E')) {
                        third = null;
                    } else if (peek() == 'p' && peek(1) == 'i') {
                        pos += 2;
                        third = expressionList('E');
                    } else if (peek() == 'i' && peek(1) == 'l') {
                        third = expressionInner();
                    } else {
                        throw fail();
                    }
                } else {
                    throw fail();
                }
                return make(Kind.TRINARY, op,
                        make(Kind.TRINARY_ARG1, first, make(Kind.TRINARY_ARG2, second, third)));
            }
            default:
                throw fail();
        }
    }

    /**
     * {@code sr <unresolved-type> <base-unresolved-name>}, {@code srN <unresolved-type> <level>+ E <name>} or
     * {@code sr <level>+ E <name>}.
     */
    private Node unresolvedName() {
        pos += 2;
        char c = peek();
        Node scope;
        if (unresolvedNameState != 0 && (isDigit(c) || isLower(c) || c == 'C' || c == 'U' || c == 'L')) {
            unresolvedNameState = -1;
            scope = prefix(false);
            consume('E');
        } else {
            scope = type();
        }
        Node n = unqualifiedName(scope);
        if (peek() == 'I') {
            n = make(Kind.TEMPLATE, n, templateArgs());
        }
        return n;
    }

    /** Template arguments after an implicit opening (for {@code sP}): up to and including {@code E}. */
    private Node templateArgsAfterOpen() {
        Node hold = lastName;
        List<Node> args = new ArrayList<>();
        while (!consume('E')) {
            args.add(templateArg());
        }
        lastName = hold;
        return list(Kind.TEMPLATE_ARGLIST, args);
    }

    private Node expressionList(char terminator) {
        List<Node> items = new ArrayList<>();
        if (consume(terminator)) {
            return list(Kind.ARGLIST, items);
        }
        do {
            items.add(expressionInner());
        } while (!consume(terminator));
        return list(Kind.ARGLIST, items);
    }

    private Node exprPrimary() {
        expect('L');
        Node ret;
        if (peek() == '_' || peek() == 'Z') {
            ret = mangledName(false);
        } else {
            Node t = type();
            if (t.is(Kind.BUILTIN) && t.builtin == BuiltinType.NULLPTR && consume('E')) {
                return t;
            }
            Kind kind = consume('n') ? Kind.LITERAL_NEG : Kind.LITERAL;
            int start = pos;
            while (peek() != 'E') {
                if (peek() == 0) {
                    throw fail();
                }
                pos++;
            }
            ret = make(kind, t, name(s.substring(start, pos)));
        }
        expect('E');
        return ret;
    }
}
