package org.fleettap.agent.script;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.fleettap.agent.probe.ProbePoint;
import org.fleettap.agent.script.Token.Kind;

/**
 * Pass 2: tokens to a syntax tree, by recursive descent with one method per grammar rule. Operator precedence, from
 * loosest to tightest, as stap: assignment (right to left, includes {@code <<<}), {@code ?:}, {@code ||}, {@code &&},
 * {@code |}, {@code ^}, {@code &}, {@code in}, comparisons, shifts, {@code .}, {@code + -}, {@code * / %}, unary
 * {@code ! ~ - + ++ -- &}, postfix {@code ++ --}. Stops at the first syntax error. Nesting (of expressions, of
 * statements, and the length of operator chains, which makes the tree deep) is bounded by {@link #MAX_DEPTH} so that
 * later passes can recurse safely.
 */
final class Parser {

    static final int MAX_DEPTH = 256;

    private static final String GURU_HINT = "guru mode (-g) is not available";

    private static final Set<String> AGGREGATES = Set.of("count", "sum", "min", "max", "avg");

    private static final String SUPPORTED_AT =
            "supported: @entry, @count, @sum, @min, @max, @avg, @hist_log, @hist_linear, @1..@N";

    /** The tree, or the first error (of the lexer or the parser). */
    record Result(Script script, Diagnostic error) {
    }

    private final Source source;
    private final List<Token> tokens;
    private int pos;
    private int depth;

    private Parser(Source source, List<Token> tokens) {
        this.source = source;
        this.tokens = tokens;
    }

    static Result parse(Source source) {
        Lexer.Result lexed = Lexer.lex(source);
        if (lexed.error() != null) {
            return new Result(null, lexed.error());
        }
        Parser parser = new Parser(source, lexed.tokens());
        try {
            return new Result(parser.script(), null);
        } catch (SyntaxError e) {
            return new Result(null, e.diagnostic);
        }
    }

    private static final class SyntaxError extends RuntimeException {
        final Diagnostic diagnostic;

        SyntaxError(Diagnostic diagnostic) {
            super(diagnostic.message(), null, false, false);
            this.diagnostic = diagnostic;
        }
    }

    // ---- token helpers

    private Token peek() {
        return tokens.get(pos);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(pos + ahead, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(pos);
        if (t.kind() != Kind.EOF) {
            pos++;
        }
        return t;
    }

    private boolean atOp(String op) {
        return peek().isOp(op);
    }

    private boolean atKeyword(String keyword) {
        return peek().isKeyword(keyword);
    }

    private boolean acceptOp(String op) {
        if (atOp(op)) {
            pos++;
            return true;
        }
        return false;
    }

    private Token expectOp(String op) {
        if (!atOp(op)) {
            throw unexpected("'" + op + "'");
        }
        return next();
    }

    private Token expectKeyword(String keyword) {
        if (!atKeyword(keyword)) {
            throw unexpected("'" + keyword + "'");
        }
        return next();
    }

    private Token expectIdent(String what) {
        if (peek().kind() != Kind.IDENT) {
            throw unexpected(what);
        }
        return next();
    }

    private SyntaxError unexpected(String expected) {
        return error(peek().location(), "expected " + expected + ", found " + peek().describe());
    }

    private static SyntaxError error(SourceLocation at, String message) {
        return new SyntaxError(Diagnostic.error(at, message));
    }

    private static SyntaxError error(SourceLocation at, String message, String hint) {
        return new SyntaxError(Diagnostic.error(at, message, hint));
    }

    private void nest(SourceLocation at) {
        if (++depth > MAX_DEPTH) {
            throw error(at, "nesting too deep (more than " + MAX_DEPTH + " levels)",
                    "split the expression or statement into smaller ones");
        }
    }

    // ---- top level

    private Script script() {
        List<Script.Global> globals = new ArrayList<>();
        List<Script.Probe> probes = new ArrayList<>();
        List<Script.Function> functions = new ArrayList<>();
        while (peek().kind() != Kind.EOF) {
            if (atKeyword("global")) {
                globalDeclaration(globals);
            } else if (atKeyword("probe")) {
                probes.add(probe());
            } else if (atKeyword("function")) {
                functions.add(function());
            } else if (acceptOp(";")) {
                continue;
            } else if (peek().is(Kind.IDENT, "private")) {
                throw error(peek().location(), "'private' is not supported",
                        "a script is one file: declare it with 'global' or 'function'");
            } else if (peek().kind() == Kind.AT_NAME) {
                throw error(peek().location(), "'@" + peek().text() + "' is not supported at the top level",
                        "macros (@define) are not supported");
            } else {
                throw unexpected("'global', 'probe' or 'function'");
            }
        }
        return new Script(source, globals, probes, functions);
    }

    private void globalDeclaration(List<Script.Global> into) {
        expectKeyword("global");
        into.add(globalItem());
        while (acceptOp(",")) {
            into.add(globalItem());
        }
    }

    private Script.Global globalItem() {
        Token name = expectIdent("a global variable name");
        if (atOp("%") || atOp("%=")) {
            throw error(peek().location(), "wrapping arrays ('" + name.text() + "%') are not supported");
        }
        boolean array = false;
        Long size = null;
        if (acceptOp("[")) {
            array = true;
            if (peek().kind() == Kind.NUMBER) {
                Token n = next();
                if (n.number() <= 0 || n.number() > Integer.MAX_VALUE) {
                    throw error(n.location(), "array size must be between 1 and " + Integer.MAX_VALUE);
                }
                size = n.number();
            }
            expectOp("]");
        }
        Expr init = null;
        if (atOp("=")) {
            Token eq = next();
            if (array) {
                throw error(eq.location(), "an array can't have an initialiser");
            }
            init = literal("a number or a string literal");
        }
        return new Script.Global(name.text(), array, size, init, name.location());
    }

    /** A number (optionally negative) or a string literal, as a global's initialiser. */
    private Expr literal(String expected) {
        Token t = peek();
        if (t.kind() == Kind.STRING) {
            return stringLiteral();
        }
        if (t.isOp("-") && peek(1).kind() == Kind.NUMBER) {
            next();
            return new Expr.IntLiteral(-next().number(), t.location());
        }
        if (t.kind() == Kind.NUMBER) {
            return new Expr.IntLiteral(next().number(), t.location());
        }
        throw unexpected(expected);
    }

    private Script.Probe probe() {
        Token keyword = expectKeyword("probe");
        List<Script.Point> points = new ArrayList<>();
        points.add(probePoint());
        while (acceptOp(",")) {
            points.add(probePoint());
        }
        if (atOp("=") || atOp("+=")) {
            throw error(peek().location(), "probe aliases ('probe NAME " + peek().text() + " ...') are not supported",
                    "write the probe points out in each probe");
        }
        if (atKeyword("if")) {
            throw error(peek().location(), "conditional probes ('if (...)' after the probe points) are not supported",
                    "test the condition in the handler and use 'next'");
        }
        Stmt.Block body = block();
        return new Script.Probe(points, body, keyword.location());
    }

    private Script.Point probePoint() {
        SourceLocation at = peek().location();
        List<ProbePoint.Component> components = new ArrayList<>();
        components.add(probePointComponent());
        while (acceptOp(".")) {
            components.add(probePointComponent());
        }
        boolean optional = false;
        boolean sufficient = false;
        while (atOp("?") || atOp("!")) {
            if (next().text().equals("?")) {
                optional = true;
            } else {
                sufficient = true;
            }
        }
        return new Script.Point(new ProbePoint(components), optional, sufficient, at);
    }

    private ProbePoint.Component probePointComponent() {
        String name = probePointName();
        if (!atOp("(")) {
            return new ProbePoint.Component(name, null);
        }
        next();
        Token t = peek();
        Object argument;
        if (t.kind() == Kind.STRING) {
            argument = stringLiteral().value();
        } else if (t.kind() == Kind.NUMBER || (t.isOp("-") && peek(1).kind() == Kind.NUMBER)) {
            argument = ((Expr.IntLiteral) literal("a number")).value();
        } else if (t.kind() == Kind.ARG_NUMBER || t.kind() == Kind.ARG_STRING) {
            throw error(t.location(), "script arguments in probe points are not supported",
                    "write the value into the probe point");
        } else {
            throw unexpected("a string or a number");
        }
        expectOp(")");
        return new ProbePoint.Component(name, argument);
    }

    /** A name made of adjacent identifiers, keywords and '*' wildcards, such as {@code sys_*} or {@code return}. */
    private String probePointName() {
        Token first = peek();
        if (!isProbePointNamePart(first)) {
            throw unexpected("a probe point name");
        }
        StringBuilder sb = new StringBuilder(next().text());
        int end = first.end();
        while (isProbePointNamePart(peek()) && peek().start() == end) {
            Token t = next();
            sb.append(t.text());
            end = t.end();
        }
        return sb.toString();
    }

    private static boolean isProbePointNamePart(Token t) {
        return t.kind() == Kind.IDENT || t.kind() == Kind.KEYWORD || t.isOp("*")
                || (t.kind() == Kind.NUMBER && t.text().chars().allMatch(Character::isDigit));
    }

    private Script.Function function() {
        Token keyword = expectKeyword("function");
        Token name = expectIdent("a function name");
        Type returnType = Type.UNKNOWN;
        if (acceptOp(":")) {
            returnType = typeName();
        }
        expectOp("(");
        List<Script.Parameter> parameters = new ArrayList<>();
        if (!atOp(")")) {
            parameters.add(parameter());
            while (acceptOp(",")) {
                parameters.add(parameter());
            }
        }
        expectOp(")");
        Stmt.Block body = block();
        return new Script.Function(name.text(), returnType, parameters, body, keyword.location());
    }

    private Script.Parameter parameter() {
        Token name = expectIdent("a parameter name");
        Type type = Type.UNKNOWN;
        if (acceptOp(":")) {
            type = typeName();
        }
        return new Script.Parameter(name.text(), type, name.location());
    }

    private Type typeName() {
        Token t = peek();
        if (t.is(Kind.IDENT, "long")) {
            next();
            return Type.LONG;
        }
        if (t.is(Kind.IDENT, "string")) {
            next();
            return Type.STRING;
        }
        throw error(t.location(), "expected a type, found " + t.describe(), "the types are 'long' and 'string'");
    }

    // ---- statements

    private Stmt.Block block() {
        Token open = expectOp("{");
        List<Stmt> statements = new ArrayList<>();
        while (!atOp("}")) {
            if (peek().kind() == Kind.EOF) {
                throw error(peek().location(), "expected '}' to close the block opened at " + open.location()
                        + ", found end of input");
            }
            statements.add(statement());
        }
        next();
        return new Stmt.Block(statements, open.location());
    }

    private Stmt statement() {
        Token t = peek();
        nest(t.location());
        Stmt s;
        if (t.isOp("{")) {
            s = block();
        } else if (t.isOp(";")) {
            next();
            s = new Stmt.Empty(t.location());
        } else if (t.kind() == Kind.KEYWORD) {
            s = keywordStatement(t);
        } else {
            s = expressionStatement();
        }
        depth--;
        return s;
    }

    private Stmt keywordStatement(Token t) {
        return switch (t.text()) {
            case "if" -> ifStatement();
            case "while" -> whileStatement();
            case "for" -> forStatement();
            case "foreach" -> foreachStatement();
            case "return" -> returnStatement();
            case "delete" -> deleteStatement();
            case "try" -> tryStatement();
            case "next" -> {
                next();
                acceptOp(";");
                yield new Stmt.Next(t.location());
            }
            case "break" -> {
                next();
                acceptOp(";");
                yield new Stmt.Break(t.location());
            }
            case "continue" -> {
                next();
                acceptOp(";");
                yield new Stmt.Continue(t.location());
            }
            default -> throw error(t.location(), "expected a statement, found " + t.describe());
        };
    }

    private Stmt expressionStatement() {
        Expr e = expression();
        acceptOp(";");
        return new Stmt.ExprStatement(e, e.location());
    }

    private Stmt ifStatement() {
        Token keyword = expectKeyword("if");
        expectOp("(");
        Expr condition = expression();
        expectOp(")");
        Stmt then = statement();
        Stmt otherwise = null;
        if (atKeyword("else")) {
            next();
            otherwise = statement();
        }
        return new Stmt.If(condition, then, otherwise, keyword.location());
    }

    private Stmt whileStatement() {
        Token keyword = expectKeyword("while");
        expectOp("(");
        Expr condition = expression();
        expectOp(")");
        return new Stmt.While(condition, statement(), keyword.location());
    }

    private Stmt forStatement() {
        Token keyword = expectKeyword("for");
        expectOp("(");
        Expr init = atOp(";") ? null : expression();
        expectOp(";");
        Expr condition = atOp(";") ? null : expression();
        expectOp(";");
        Expr step = atOp(")") ? null : expression();
        expectOp(")");
        return new Stmt.For(init, condition, step, statement(), keyword.location());
    }

    /** Mutable while parsing a foreach header: which column sorts, and how. */
    private static final class Sort {
        int column = -1;
        boolean descending;

        void set(Token sign, int column) {
            if (this.column >= 0) {
                throw error(sign.location(), "only one sort direction ('+' or '-') is allowed in foreach");
            }
            this.column = column;
            this.descending = sign.text().equals("-");
        }
    }

    private Stmt foreachStatement() {
        Token keyword = expectKeyword("foreach");
        expectOp("(");
        Sort sort = new Sort();
        String valueVariable = null;
        if (peek().kind() == Kind.IDENT && (peek(1).isOp("=")
                || ((peek(1).isOp("+") || peek(1).isOp("-")) && peek(2).isOp("=")))) {
            valueVariable = next().text();
            if (atOp("+") || atOp("-")) {
                sort.set(next(), 0);
            }
            expectOp("=");
        }
        List<String> keys = new ArrayList<>();
        List<SourceLocation> keyLocations = new ArrayList<>();
        if (acceptOp("[")) {
            foreachKey(keys, keyLocations, sort);
            while (acceptOp(",")) {
                foreachKey(keys, keyLocations, sort);
            }
            expectOp("]");
        } else {
            foreachKey(keys, keyLocations, sort);
        }
        expectKeyword("in");
        if (peek().kind() == Kind.AT_NAME) {
            throw error(peek().location(), "foreach over a histogram's buckets is not supported",
                    "print the histogram with print(" + "@" + peek().text() + "(...))");
        }
        Token array = expectIdent("an array name");
        if (atOp("[")) {
            throw error(peek().location(), "foreach over an array slice ('" + array.text() + "[...]') is not supported",
                    "test the keys in the loop body and use 'continue'");
        }
        Expr.AggregateOp aggregate = null;
        if (peek().kind() == Kind.AT_NAME) {
            Token at = next();
            if (!AGGREGATES.contains(at.text())) {
                throw error(at.location(), "expected @count, @sum, @min, @max or @avg to sort on, found "
                        + at.describe());
            }
            aggregate = aggregateOp(at.text());
            if (!atOp("+") && !atOp("-")) {
                throw unexpected("'+' or '-' after @" + at.text());
            }
        }
        if (atOp("+") || atOp("-")) {
            sort.set(next(), 0);
        }
        Expr limit = null;
        if (atKeyword("limit")) {
            next();
            limit = expression();
        }
        expectOp(")");
        Stmt body = statement();
        return new Stmt.Foreach(valueVariable, keys, keyLocations, array.text(), array.location(), sort.column,
                sort.descending, aggregate, limit, body, keyword.location());
    }

    private void foreachKey(List<String> keys, List<SourceLocation> locations, Sort sort) {
        Token key = expectIdent("a loop variable name");
        keys.add(key.text());
        locations.add(key.location());
        if (atOp("+") || atOp("-")) {
            sort.set(next(), keys.size());
        }
    }

    private Stmt returnStatement() {
        Token keyword = expectKeyword("return");
        Expr value = null;
        if (!atOp(";") && !atOp("}") && peek().kind() != Kind.EOF) {
            value = expression();
        }
        acceptOp(";");
        return new Stmt.Return(value, keyword.location());
    }

    private Stmt deleteStatement() {
        Token keyword = expectKeyword("delete");
        Expr target = postfix();
        if (target instanceof Expr.Target t) {
            throw guru(t);
        }
        if (!(target instanceof Expr.Variable) && !(target instanceof Expr.Index)) {
            throw error(target.location(), "'delete' needs a variable, an array or an array element");
        }
        acceptOp(";");
        return new Stmt.Delete(target, keyword.location());
    }

    private Stmt tryStatement() {
        Token keyword = expectKeyword("try");
        Stmt.Block body = block();
        expectKeyword("catch");
        String variable = null;
        if (acceptOp("(")) {
            variable = expectIdent("a variable name for the error message").text();
            expectOp(")");
        }
        Stmt.Block handler = block();
        return new Stmt.Try(body, variable, handler, keyword.location());
    }

    // ---- expressions

    Expr expression() {
        return assignment();
    }

    private Expr assignment() {
        nest(peek().location());
        Expr left = ternary();
        Token op = peek();
        Expr result = left;
        if (op.kind() == Kind.OP) {
            if (op.text().equals("<<<")) {
                next();
                requireAssignable(left, op);
                result = new Expr.Accumulate(left, assignment(), op.location());
            } else {
                Expr.AssignOp assign = assignOp(op.text());
                if (assign != null) {
                    next();
                    requireAssignable(left, op);
                    result = new Expr.Assign(assign, left, assignment(), op.location());
                }
            }
        }
        depth--;
        return result;
    }

    private static Expr.AssignOp assignOp(String spelling) {
        for (Expr.AssignOp op : Expr.AssignOp.values()) {
            if (op.spelling().equals(spelling)) {
                return op;
            }
        }
        return null;
    }

    private static void requireAssignable(Expr target, Token op) {
        if (target instanceof Expr.Target t) {
            throw guru(t);
        }
        if (!(target instanceof Expr.Variable) && !(target instanceof Expr.Index)) {
            throw error(target.location(), "the left side of '" + op.text()
                    + "' must be a variable or an array element");
        }
    }

    private static SyntaxError guru(Expr.Target t) {
        return error(t.location(), "writing to target variable '" + t.spelling()
                + "' is refused: no script may write to a traced process", GURU_HINT);
    }

    private Expr ternary() {
        Expr condition = logicalOr();
        if (!atOp("?")) {
            return condition;
        }
        Token q = next();
        Expr then = expression();
        expectOp(":");
        nest(q.location());
        Expr otherwise = ternary();
        depth--;
        return new Expr.Ternary(condition, then, otherwise, q.location());
    }

    private Expr logicalOr() {
        Expr left = logicalAnd();
        int chain = 0;
        while (atOp("||")) {
            Token op = next();
            nest(op.location());
            chain++;
            left = new Expr.Binary(Expr.BinaryOp.OR, left, logicalAnd(), op.location());
        }
        depth -= chain;
        return left;
    }

    private Expr logicalAnd() {
        Expr left = bitOr();
        int chain = 0;
        while (atOp("&&")) {
            Token op = next();
            nest(op.location());
            chain++;
            left = new Expr.Binary(Expr.BinaryOp.AND, left, bitOr(), op.location());
        }
        depth -= chain;
        return left;
    }

    private Expr bitOr() {
        Expr left = bitXor();
        int chain = 0;
        while (atOp("|")) {
            Token op = next();
            nest(op.location());
            chain++;
            left = new Expr.Binary(Expr.BinaryOp.BIT_OR, left, bitXor(), op.location());
        }
        depth -= chain;
        return left;
    }

    private Expr bitXor() {
        Expr left = bitAnd();
        int chain = 0;
        while (atOp("^")) {
            Token op = next();
            nest(op.location());
            chain++;
            left = new Expr.Binary(Expr.BinaryOp.BIT_XOR, left, bitAnd(), op.location());
        }
        depth -= chain;
        return left;
    }

    private Expr bitAnd() {
        Expr left = membership();
        int chain = 0;
        while (atOp("&")) {
            Token op = next();
            nest(op.location());
            chain++;
            left = new Expr.Binary(Expr.BinaryOp.BIT_AND, left, membership(), op.location());
        }
        depth -= chain;
        return left;
    }

    /** {@code [k1, k2] in arr} or {@code k in arr}, else a comparison. */
    private Expr membership() {
        List<Expr> keys;
        SourceLocation at = peek().location();
        if (atOp("[")) {
            next();
            keys = new ArrayList<>();
            keys.add(expression());
            while (acceptOp(",")) {
                keys.add(expression());
            }
            expectOp("]");
            if (!atKeyword("in")) {
                throw unexpected("'in' after a key tuple");
            }
        } else {
            Expr left = comparison();
            if (!atKeyword("in")) {
                return left;
            }
            keys = List.of(left);
        }
        Token in = next();
        if (peek().kind() == Kind.AT_NAME) {
            throw error(peek().location(), "'in' on a histogram is not supported");
        }
        Token array = expectIdent("an array name after 'in'");
        if (atOp("[")) {
            throw error(peek().location(), "'in' tests keys of an array, not of an array element");
        }
        return new Expr.Membership(keys, array.text(), in.location());
    }

    private Expr comparison() {
        Expr left = shift();
        int chain = 0;
        while (true) {
            Token op = peek();
            if (op.isOp("=~") || op.isOp("!~")) {
                throw error(op.location(), "regular expression matching ('" + op.text() + "') is not supported",
                        "use isinstr() for substring tests");
            }
            Expr.BinaryOp bop = op.kind() != Kind.OP ? null : switch (op.text()) {
                case "==" -> Expr.BinaryOp.EQ;
                case "!=" -> Expr.BinaryOp.NE;
                case "<" -> Expr.BinaryOp.LT;
                case "<=" -> Expr.BinaryOp.LE;
                case ">" -> Expr.BinaryOp.GT;
                case ">=" -> Expr.BinaryOp.GE;
                default -> null;
            };
            if (bop == null) {
                break;
            }
            next();
            nest(op.location());
            chain++;
            left = new Expr.Binary(bop, left, shift(), op.location());
        }
        depth -= chain;
        return left;
    }

    private Expr shift() {
        Expr left = concatenation();
        int chain = 0;
        while (atOp("<<") || atOp(">>")) {
            Token op = next();
            nest(op.location());
            chain++;
            Expr.BinaryOp bop = op.text().equals("<<") ? Expr.BinaryOp.SHL : Expr.BinaryOp.SHR;
            left = new Expr.Binary(bop, left, concatenation(), op.location());
        }
        depth -= chain;
        return left;
    }

    private Expr concatenation() {
        Expr left = additive();
        int chain = 0;
        while (atOp(".")) {
            Token op = next();
            nest(op.location());
            chain++;
            left = new Expr.Binary(Expr.BinaryOp.CONCAT, left, additive(), op.location());
        }
        depth -= chain;
        return left;
    }

    private Expr additive() {
        Expr left = multiplicative();
        int chain = 0;
        while (atOp("+") || atOp("-")) {
            Token op = next();
            nest(op.location());
            chain++;
            Expr.BinaryOp bop = op.text().equals("+") ? Expr.BinaryOp.ADD : Expr.BinaryOp.SUB;
            left = new Expr.Binary(bop, left, multiplicative(), op.location());
        }
        depth -= chain;
        return left;
    }

    private Expr multiplicative() {
        Expr left = unary();
        int chain = 0;
        while (atOp("*") || atOp("/") || atOp("%")) {
            Token op = next();
            nest(op.location());
            chain++;
            Expr.BinaryOp bop = switch (op.text()) {
                case "*" -> Expr.BinaryOp.MUL;
                case "/" -> Expr.BinaryOp.DIV;
                default -> Expr.BinaryOp.MOD;
            };
            left = new Expr.Binary(bop, left, unary(), op.location());
        }
        depth -= chain;
        return left;
    }

    private Expr unary() {
        Token op = peek();
        if (op.kind() != Kind.OP) {
            return postfix();
        }
        Expr.UnaryOp uop = switch (op.text()) {
            case "-" -> Expr.UnaryOp.NEGATE;
            case "+" -> Expr.UnaryOp.PLUS;
            case "!" -> Expr.UnaryOp.NOT;
            case "~" -> Expr.UnaryOp.COMPLEMENT;
            default -> null;
        };
        if (uop != null) {
            next();
            nest(op.location());
            Expr operand = unary();
            depth--;
            return new Expr.Unary(uop, operand, op.location());
        }
        if (op.isOp("++") || op.isOp("--")) {
            next();
            nest(op.location());
            Expr operand = unary();
            depth--;
            requireIncrementable(operand, op);
            return new Expr.Increment(operand, op.text().equals("++"), true, op.location());
        }
        if (op.isOp("&")) {
            next();
            if (peek().kind() != Kind.TARGET) {
                throw error(op.location(), "'&' takes the address of a target variable, e.g. &$mutex->__data",
                        "'&' applies only to '$' variables");
            }
            Expr.Target target = target(true, op.location());
            return target;
        }
        return postfix();
    }

    private static void requireIncrementable(Expr operand, Token op) {
        if (operand instanceof Expr.Target t) {
            throw guru(t);
        }
        if (!(operand instanceof Expr.Variable) && !(operand instanceof Expr.Index)) {
            throw error(operand.location(), "'" + op.text() + "' needs a variable or an array element");
        }
    }

    private Expr postfix() {
        Expr e = primary();
        if (atOp("++") || atOp("--")) {
            Token op = next();
            requireIncrementable(e, op);
            return new Expr.Increment(e, op.text().equals("++"), false, e.location());
        }
        return e;
    }

    private Expr primary() {
        Token t = peek();
        switch (t.kind()) {
            case NUMBER:
                next();
                return new Expr.IntLiteral(t.number(), t.location());
            case STRING:
                return stringLiteral();
            case ARG_NUMBER:
                next();
                return new Expr.ScriptArgument((int) t.number(), false, t.location());
            case ARG_STRING:
                next();
                return new Expr.ScriptArgument((int) t.number(), true, t.location());
            case TARGET:
                return target(false, t.location());
            case AT_NAME:
                return atOperator();
            case IDENT:
                return nameExpression();
            case OP:
                if (t.isOp("(")) {
                    next();
                    Expr inner = expression();
                    expectOp(")");
                    return inner;
                }
                break;
            default:
                break;
        }
        throw unexpected("an expression");
    }

    private Expr.StringLiteral stringLiteral() {
        Token first = next();
        StringBuilder sb = new StringBuilder(first.text());
        while (peek().kind() == Kind.STRING) {
            sb.append(next().text());
        }
        return new Expr.StringLiteral(sb.toString(), first.location());
    }

    private Expr nameExpression() {
        Token name = next();
        if (atOp("(")) {
            return new Expr.Call(name.text(), arguments(), name.location());
        }
        if (atOp("[")) {
            return new Expr.Index(name.text(), keys(), name.location());
        }
        return new Expr.Variable(name.text(), name.location());
    }

    private List<Expr> arguments() {
        expectOp("(");
        List<Expr> args = new ArrayList<>();
        if (!atOp(")")) {
            args.add(expression());
            while (acceptOp(",")) {
                args.add(expression());
            }
        }
        expectOp(")");
        return args;
    }

    private List<Expr> keys() {
        expectOp("[");
        List<Expr> keys = new ArrayList<>();
        if (atOp("*")) {
            throw error(peek().location(), "wildcard keys ('*') are not supported");
        }
        keys.add(expression());
        while (acceptOp(",")) {
            if (atOp("*")) {
                throw error(peek().location(), "wildcard keys ('*') are not supported");
            }
            keys.add(expression());
        }
        expectOp("]");
        return keys;
    }

    /** {@code $name ( -> member )*}, the current token being the {@code $name}. */
    private Expr.Target target(boolean addressOf, SourceLocation at) {
        Token name = next();
        List<String> members = new ArrayList<>();
        while (atOp("->")) {
            next();
            Token member = peek();
            if (member.kind() != Kind.IDENT && member.kind() != Kind.KEYWORD) {
                throw unexpected("a member name after '->'");
            }
            members.add(next().text());
        }
        if (atOp("[")) {
            throw error(peek().location(), "indexing target variable '$" + name.text() + "' is not supported",
                    "read array elements with user_long() or user_int() at the computed address");
        }
        if (name.text().equals("return") && addressOf) {
            throw error(at, "'$return' has no address");
        }
        return new Expr.Target(name.text(), members, addressOf, at);
    }

    private Expr atOperator() {
        Token at = next();
        String name = at.text();
        if (name.equals("entry")) {
            expectOp("(");
            Expr operand = expression();
            expectOp(")");
            return new Expr.Entry(operand, at.location());
        }
        if (AGGREGATES.contains(name)) {
            expectOp("(");
            Expr operand = expression();
            expectOp(")");
            requireStatistic(operand, "@" + name);
            return new Expr.Aggregate(aggregateOp(name), operand, at.location());
        }
        if (name.equals("hist_log") || name.equals("hist_linear")) {
            return histogram(at);
        }
        throw error(at.location(), "'@" + name + "' is not supported", SUPPORTED_AT);
    }

    private static Expr.AggregateOp aggregateOp(String name) {
        return switch (name) {
            case "count" -> Expr.AggregateOp.COUNT;
            case "sum" -> Expr.AggregateOp.SUM;
            case "min" -> Expr.AggregateOp.MIN;
            case "max" -> Expr.AggregateOp.MAX;
            default -> Expr.AggregateOp.AVG;
        };
    }

    private static void requireStatistic(Expr operand, String op) {
        if (!(operand instanceof Expr.Variable) && !(operand instanceof Expr.Index)) {
            throw error(operand.location(), "the operand of " + op
                    + " must be a statistic: a global variable or a global array element");
        }
    }

    private Expr histogram(Token at) {
        boolean linear = at.text().equals("hist_linear");
        expectOp("(");
        Expr operand = expression();
        requireStatistic(operand, "@" + at.text());
        List<Long> parameters = new ArrayList<>();
        if (linear) {
            for (int i = 0; i < 3; i++) {
                expectOp(",");
                parameters.add(((Expr.IntLiteral) literalNumber()).value());
            }
            long low = parameters.get(0);
            long high = parameters.get(1);
            long width = parameters.get(2);
            if (width <= 0 || high <= low) {
                throw error(at.location(), "@hist_linear needs low < high and a positive width",
                        "e.g. @hist_linear(s, 0, 1000, 50)");
            }
            if ((high - low) / width > 10_000) {
                throw error(at.location(), "@hist_linear would have more than 10000 buckets");
            }
        }
        expectOp(")");
        if (atOp("[")) {
            throw error(peek().location(), "reading one histogram bucket is not supported",
                    "print the histogram with print()");
        }
        Expr.HistogramKind kind = linear ? Expr.HistogramKind.LINEAR : Expr.HistogramKind.LOG;
        return new Expr.Histogram(kind, operand, parameters, at.location());
    }

    private Expr literalNumber() {
        if (peek().kind() == Kind.STRING) {
            throw unexpected("a number literal");
        }
        return literal("a number literal");
    }
}
