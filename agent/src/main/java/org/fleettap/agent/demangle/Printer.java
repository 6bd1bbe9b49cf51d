package org.fleettap.agent.demangle;

import java.util.List;
import org.fleettap.agent.demangle.Node.Kind;

/**
 * Prints a parsed name the way GNU c++filt does. Declarator syntax (pointers to functions, arrays, pointers to
 * members, qualifiers of {@code this}) is produced with a stack of pending modifiers: a type that wraps another pushes
 * itself, and whichever inner type knows where the declarator goes (a function or array type) prints the pending ones
 * there; the rest are printed as suffixes. Template parameters are resolved against a stack of enclosing templates.
 * Output length, nesting and work are bounded; exceeding a bound, like any inconsistency, fails the whole print.
 */
final class Printer {
    /** Longest output produced; longer results (substitution bombs) fail. */
    static final int MAX_OUTPUT = 1 << 17;
    /** Deepest nesting of printed nodes. */
    static final int MAX_DEPTH = 512;
    /** Most nodes visited (printing and pack searches) for one name. */
    static final int MAX_STEPS = 1 << 19;
    /** At most this many modifiers are collected by a typed name or an array (as c++filt). */
    private static final int MAX_COLLECTED = 4;

    /** A modifier waiting to be printed, with the templates in scope where it was pushed. */
    private static final class Mod {
        Node mod;
        Mod next;
        boolean printed;
        Templates templates;

        Mod(Node mod, Mod next, Templates templates) {
            this.mod = mod;
            this.next = next;
            this.templates = templates;
        }
    }

    /** The enclosing templates whose arguments template parameters refer to, innermost first. */
    private record Templates(Node template, Templates next) {
    }

    private final StringBuilder out = new StringBuilder(64);
    private final byte[] active;
    private char last;
    private Mod modifiers;
    private Templates templates;
    private Node currentTemplate;
    private int packIndex;
    private int lambdaArgs;
    private boolean failed;
    private int depth;
    private int steps;

    private Printer(int nodeCount) {
        this.active = new byte[nodeCount];
    }

    /** The printed form of {@code parsed}, or null if it cannot be printed. */
    static String print(Parser.Parsed parsed) {
        Printer p = new Printer(parsed.nodeCount());
        p.print(parsed.root());
        return p.failed ? null : p.out.toString();
    }

    // ---- output ----

    private void fail() {
        failed = true;
    }

    private void append(char c) {
        out.append(c);
        last = c;
        if (out.length() > MAX_OUTPUT) {
            failed = true;
        }
    }

    private void append(String s) {
        if (s.isEmpty()) {
            return;
        }
        out.append(s);
        last = s.charAt(s.length() - 1);
        if (out.length() > MAX_OUTPUT) {
            failed = true;
        }
    }

    private void appendNumber(long n) {
        append(Long.toString(n));
    }

    // ---- components ----

    private void print(Node dc) {
        if (dc == null) {
            failed = true;
            return;
        }
        if (failed) {
            return;
        }
        if (active[dc.id] > 1 || depth >= MAX_DEPTH || ++steps > MAX_STEPS) {
            failed = true;
            return;
        }
        active[dc.id]++;
        depth++;
        printComponent(dc);
        depth--;
        active[dc.id]--;
    }

    private void printComponent(Node dc) {
        switch (dc.kind) {
            case NAME:
            case SUB_STD:
                append(dc.text);
                return;
            case TAGGED_NAME:
                print(dc.left);
                append("[abi:");
                print(dc.right);
                append(']');
                return;
            case STRUCTURED_BINDING:
                append('[');
                print(dc.left);
                append(']');
                return;
            case QUAL_NAME:
            case LOCAL_NAME: {
                print(dc.left);
                append("::");
                Node local = dc.right;
                if (local.is(Kind.DEFAULT_ARG)) {
                    append("{default arg#");
                    appendNumber(local.number + 1);
                    append("}::");
                    local = local.left;
                }
                print(local);
                return;
            }
            case TYPED_NAME:
                printTypedName(dc);
                return;
            case TEMPLATE: {
                Node holdCurrent = currentTemplate;
                currentTemplate = dc;
                Mod holdModifiers = modifiers;
                modifiers = null;
                print(dc.left);
                printTemplateArgs(dc.right);
                modifiers = holdModifiers;
                currentTemplate = holdCurrent;
                return;
            }
            case TEMPLATE_PARAM:
                printTemplateParam(dc);
                return;
            case CTOR:
                print(dc.left);
                return;
            case DTOR:
                append('~');
                print(dc.left);
                return;
            case SPECIAL:
                append(dc.text);
                print(dc.left);
                return;
            case CONSTRUCTION_VTABLE:
                append("construction vtable for ");
                print(dc.left);
                append("-in-");
                print(dc.right);
                return;
            case REFTEMP:
                append("reference temporary #");
                print(dc.right);
                append(" for ");
                print(dc.left);
                return;
            case GLOBAL_CTORS:
                append("global constructors keyed to ");
                print(dc.left);
                return;
            case GLOBAL_DTORS:
                append("global destructors keyed to ");
                print(dc.left);
                return;
            case BUILTIN:
                append(dc.builtin.text);
                return;
            case EXTENDED_BUILTIN:
                append(dc.builtin.text);
                appendNumber(dc.number);
                append(dc.text);
                return;
            case VENDOR_TYPE:
                print(dc.left);
                return;
            case REFERENCE:
            case RVALUE_REFERENCE:
                printReference(dc);
                return;
            case RESTRICT:
            case VOLATILE:
            case CONST:
                // A qualifier already pending (an array's, or one applied to a template parameter that is itself
                // qualified) is printed once.
                for (Mod p = modifiers; p != null; p = p.next) {
                    if (!p.printed) {
                        if (!p.mod.is(Kind.RESTRICT) && !p.mod.is(Kind.VOLATILE) && !p.mod.is(Kind.CONST)) {
                            break;
                        }
                        if (p.mod.kind == dc.kind) {
                            print(dc.left);
                            return;
                        }
                    }
                }
                printModifier(dc, dc.left);
                return;
            case POINTER:
            case COMPLEX:
            case IMAGINARY:
            case VENDOR_TYPE_QUAL:
            case RESTRICT_THIS:
            case VOLATILE_THIS:
            case CONST_THIS:
            case REFERENCE_THIS:
            case RVALUE_REFERENCE_THIS:
            case TRANSACTION_SAFE:
            case NOEXCEPT:
            case THROW_SPEC:
                printModifier(dc, dc.left);
                return;
            case FUNCTION_TYPE: {
                if (dc.left != null) {
                    Mod m = new Mod(dc, modifiers, templates);
                    modifiers = m;
                    print(dc.left);
                    modifiers = m.next;
                    if (m.printed) {
                        return;
                    }
                    append(' ');
                }
                printFunctionType(dc, modifiers);
                return;
            }
            case ARRAY_TYPE:
                printArray(dc);
                return;
            case PTRMEM_TYPE:
            case VECTOR_TYPE: {
                Mod m = new Mod(dc, modifiers, templates);
                modifiers = m;
                print(dc.right);
                if (!m.printed) {
                    printMod(dc);
                }
                modifiers = m.next;
                return;
            }
            case ARGLIST:
            case TEMPLATE_ARGLIST:
                printList(dc.items);
                return;
            case INITIALIZER_LIST:
                if (dc.left != null) {
                    print(dc.left);
                }
                append('{');
                print(dc.right);
                append('}');
                return;
            case OPERATOR: {
                String text = dc.operator.text;
                append("operator");
                if (text.charAt(0) >= 'a' && text.charAt(0) <= 'z') {
                    append(' ');
                }
                append(text.endsWith(" ") ? text.substring(0, text.length() - 1) : text);
                return;
            }
            case EXTENDED_OPERATOR:
                append("operator ");
                print(dc.left);
                return;
            case CONVERSION:
                append("operator ");
                printConversion(dc);
                return;
            case NULLARY:
                printOperatorSymbol(dc.left);
                return;
            case UNARY:
                printUnary(dc);
                return;
            case BINARY:
                printBinary(dc);
                return;
            case TRINARY:
                printTrinary(dc);
                return;
            case LITERAL:
            case LITERAL_NEG:
                printLiteral(dc);
                return;
            case NUMBER:
                appendNumber(dc.number);
                return;
            case DECLTYPE:
                append("decltype (");
                print(dc.left);
                append(')');
                return;
            case PACK_EXPANSION: {
                Node pack = findPack(dc.left);
                if (pack == null) {
                    printSubexpression(dc.left);
                    append("...");
                } else {
                    int n = pack.items.size();
                    for (int i = 0; i < n; i++) {
                        if (i > 0) {
                            append(", ");
                        }
                        packIndex = i;
                        print(dc.left);
                    }
                }
                return;
            }
            case FUNCTION_PARAM:
                if (dc.number == 0) {
                    append("this");
                } else {
                    append("{parm#");
                    appendNumber(dc.number);
                    append('}');
                }
                return;
            case LAMBDA:
                append("{lambda(");
                lambdaArgs++;
                print(dc.left);
                lambdaArgs--;
                append(")#");
                appendNumber(dc.number + 1);
                append('}');
                return;
            case UNNAMED_TYPE:
                append("{unnamed type#");
                appendNumber(dc.number + 1);
                append('}');
                return;
            case CLONE:
                print(dc.left);
                append(" [clone ");
                print(dc.right);
                append(']');
                return;
            default:
                fail();
        }
    }

    /**
     * Items separated by ", "; a separator whose remaining items all print nothing (empty packs) is taken back, but
     * the last character seen stays the separator's space, as in c++filt.
     */
    private void printList(List<Node> items) {
        int n = items.size();
        if (n == 0) {
            return;
        }
        print(items.get(0));
        if (n == 1) {
            return;
        }
        int[] separators = new int[n];
        for (int i = 1; i < n && !failed; i++) {
            separators[i] = out.length();
            append(", ");
            print(items.get(i));
        }
        if (failed) {
            return;
        }
        for (int i = n - 1; i >= 1 && out.length() == separators[i] + 2; i--) {
            out.setLength(separators[i]);
        }
    }

    private void printTemplateArgs(Node args) {
        if (last == '<') {
            append(' ');
        }
        append('<');
        print(args);
        if (last == '>') {
            append(' ');
        }
        append('>');
    }

    private void printTypedName(Node dc) {
        Mod hold = modifiers;
        modifiers = null;
        Mod[] collected = new Mod[MAX_COLLECTED];
        int i = 0;
        Node typed = dc.left;
        while (typed != null) {
            if (i >= MAX_COLLECTED) {
                fail();
                return;
            }
            collected[i] = new Mod(typed, modifiers, templates);
            modifiers = collected[i];
            i++;
            if (!typed.kind.isFunctionQualifier()) {
                break;
            }
            typed = typed.left;
        }
        if (typed == null) {
            fail();
            return;
        }
        if (typed.is(Kind.LOCAL_NAME)) {
            // Qualifiers on the local entity apply to this function: they go beneath the local name.
            typed = typed.right;
            if (typed.is(Kind.DEFAULT_ARG)) {
                typed = typed.left;
            }
            while (typed != null && typed.kind.isFunctionQualifier()) {
                if (i >= MAX_COLLECTED) {
                    fail();
                    return;
                }
                Mod below = collected[i - 1];
                Mod copy = new Mod(below.mod, below, below.templates);
                copy.printed = below.printed;
                collected[i] = copy;
                modifiers = copy;
                below.mod = typed;
                below.printed = false;
                below.templates = templates;
                i++;
                typed = typed.left;
            }
            if (typed == null) {
                fail();
                return;
            }
        }
        boolean isTemplate = typed.is(Kind.TEMPLATE);
        Templates holdTemplates = templates;
        if (isTemplate) {
            templates = new Templates(typed, templates);
        }
        print(dc.right);
        if (isTemplate) {
            templates = holdTemplates;
        }
        while (i > 0) {
            i--;
            if (!collected[i].printed) {
                append(' ');
                printMod(collected[i].mod);
            }
        }
        modifiers = hold;
    }

    private Node lookupTemplateArgument(Node param) {
        if (templates == null) {
            fail();
            return null;
        }
        return indexArgument(templates.template.right, param.number);
    }

    private static Node indexArgument(Node args, long i) {
        if (i < 0) {
            return args;
        }
        if (args == null || !args.is(Kind.TEMPLATE_ARGLIST) || i >= args.items.size()) {
            return null;
        }
        return args.items.get((int) i);
    }

    private void printTemplateParam(Node dc) {
        if (lambdaArgs > 0) {
            append("auto:");
            appendNumber(dc.number + 1);
            return;
        }
        Node a = lookupTemplateArgument(dc);
        if (a != null && a.is(Kind.TEMPLATE_ARGLIST)) {
            a = indexArgument(a, packIndex);
        }
        if (a == null) {
            fail();
            return;
        }
        // The argument may itself refer to an outer template's parameters.
        Templates hold = templates;
        templates = hold.next;
        print(a);
        templates = hold;
    }

    private void printReference(Node dc) {
        Node sub = dc.left;
        Node inner = null;
        if (lambdaArgs == 0 && sub.is(Kind.TEMPLATE_PARAM)) {
            Node a = lookupTemplateArgument(sub);
            if (a != null && a.is(Kind.TEMPLATE_ARGLIST)) {
                a = indexArgument(a, packIndex);
            }
            if (a == null) {
                fail();
                return;
            }
            sub = a;
        }
        // Reference collapsing: & + && = &.
        if (sub.is(Kind.REFERENCE) || sub.kind == dc.kind) {
            dc = sub;
        } else if (sub.is(Kind.RVALUE_REFERENCE)) {
            inner = sub.left;
        }
        printModifier(dc, inner != null ? inner : dc.left);
    }

    private void printModifier(Node dc, Node inner) {
        Mod m = new Mod(dc, modifiers, templates);
        modifiers = m;
        print(inner);
        if (!m.printed) {
            printMod(dc);
        }
        modifiers = m.next;
    }

    private void printArray(Node dc) {
        Mod hold = modifiers;
        Mod first = new Mod(dc, hold, templates);
        modifiers = first;
        Mod[] copies = new Mod[MAX_COLLECTED];
        int n = 0;
        // A qualified array is printed as an array of qualified elements.
        for (Mod p = hold; p != null && (p.mod.is(Kind.RESTRICT) || p.mod.is(Kind.VOLATILE)
                || p.mod.is(Kind.CONST)); p = p.next) {
            if (!p.printed) {
                if (n + 1 >= MAX_COLLECTED) {
                    fail();
                    return;
                }
                Mod copy = new Mod(p.mod, modifiers, p.templates);
                modifiers = copy;
                p.printed = true;
                copies[n++] = copy;
            }
        }
        print(dc.right);
        modifiers = hold;
        if (first.printed) {
            return;
        }
        while (n > 0) {
            n--;
            printMod(copies[n].mod);
        }
        printArrayType(dc, modifiers);
    }

    private void printMod(Node mod) {
        switch (mod.kind) {
            case RESTRICT:
            case RESTRICT_THIS:
                append(" restrict");
                return;
            case VOLATILE:
            case VOLATILE_THIS:
                append(" volatile");
                return;
            case CONST:
            case CONST_THIS:
                append(" const");
                return;
            case TRANSACTION_SAFE:
                append(" transaction_safe");
                return;
            case NOEXCEPT:
                append(" noexcept");
                if (mod.right != null) {
                    append('(');
                    print(mod.right);
                    append(')');
                }
                return;
            case THROW_SPEC:
                append(" throw");
                if (mod.right != null) {
                    append('(');
                    print(mod.right);
                    append(')');
                }
                return;
            case VENDOR_TYPE_QUAL:
                append(' ');
                print(mod.right);
                return;
            case POINTER:
                append('*');
                return;
            case REFERENCE_THIS:
                append(' ');
                append('&');
                return;
            case REFERENCE:
                append('&');
                return;
            case RVALUE_REFERENCE_THIS:
                append(' ');
                append("&&");
                return;
            case RVALUE_REFERENCE:
                append("&&");
                return;
            case COMPLEX:
                append(" _Complex");
                return;
            case IMAGINARY:
                append(" _Imaginary");
                return;
            case PTRMEM_TYPE:
                if (last != '(') {
                    append(' ');
                }
                print(mod.left);
                append("::*");
                return;
            case TYPED_NAME:
                print(mod.left);
                return;
            case VECTOR_TYPE:
                append(" __vector(");
                print(mod.left);
                append(')');
                return;
            default:
                print(mod);
        }
    }

    private void printModList(Mod mods, boolean suffix) {
        while (mods != null && !failed) {
            if (mods.printed || (!suffix && mods.mod.kind.isFunctionQualifier())) {
                mods = mods.next;
                continue;
            }
            mods.printed = true;
            Templates hold = templates;
            templates = mods.templates;
            Node mod = mods.mod;
            if (mod.is(Kind.FUNCTION_TYPE)) {
                printFunctionType(mod, mods.next);
                templates = hold;
                return;
            }
            if (mod.is(Kind.ARRAY_TYPE)) {
                printArrayType(mod, mods.next);
                templates = hold;
                return;
            }
            if (mod.is(Kind.LOCAL_NAME)) {
                Mod holdModifiers = modifiers;
                modifiers = null;
                print(mod.left);
                modifiers = holdModifiers;
                append("::");
                Node local = mod.right;
                if (local.is(Kind.DEFAULT_ARG)) {
                    append("{default arg#");
                    appendNumber(local.number + 1);
                    append("}::");
                    local = local.left;
                }
                while (local.kind.isFunctionQualifier()) {
                    local = local.left;
                }
                print(local);
                templates = hold;
                return;
            }
            printMod(mod);
            templates = hold;
            mods = mods.next;
        }
    }

    private void printFunctionType(Node dc, Mod mods) {
        boolean needParen = false;
        boolean needSpace = false;
        for (Mod p = mods; p != null && !p.printed && !needParen; p = p.next) {
            switch (p.mod.kind) {
                case POINTER:
                case REFERENCE:
                case RVALUE_REFERENCE:
                    needParen = true;
                    break;
                case RESTRICT:
                case VOLATILE:
                case CONST:
                case VENDOR_TYPE_QUAL:
                case COMPLEX:
                case IMAGINARY:
                case PTRMEM_TYPE:
                    needSpace = true;
                    needParen = true;
                    break;
                default:
                    break;
            }
        }
        if (needParen) {
            if (!needSpace && last != '(' && last != '*') {
                needSpace = true;
            }
            if (needSpace && last != ' ') {
                append(' ');
            }
            append('(');
        }
        Mod hold = modifiers;
        modifiers = null;
        printModList(mods, false);
        if (needParen) {
            append(')');
        }
        append('(');
        if (dc.right != null) {
            print(dc.right);
        }
        append(')');
        printModList(mods, true);
        modifiers = hold;
    }

    private void printArrayType(Node dc, Mod mods) {
        boolean needSpace = true;
        if (mods != null) {
            boolean needParen = false;
            for (Mod p = mods; p != null; p = p.next) {
                if (!p.printed) {
                    if (p.mod.is(Kind.ARRAY_TYPE)) {
                        needSpace = false;
                    } else {
                        needParen = true;
                        needSpace = true;
                    }
                    break;
                }
            }
            if (needParen) {
                append(" (");
            }
            printModList(mods, false);
            if (needParen) {
                append(')');
            }
        }
        if (needSpace) {
            append(' ');
        }
        append('[');
        if (dc.left != null) {
            print(dc.left);
        }
        append(']');
    }

    private void printConversion(Node dc) {
        Templates hold = templates;
        if (currentTemplate != null) {
            templates = new Templates(currentTemplate, templates);
        }
        Node type = dc.left;
        if (!type.is(Kind.TEMPLATE)) {
            print(type);
            templates = hold;
        } else {
            print(type.left);
            templates = hold;
            printTemplateArgs(type.right);
        }
    }

    // ---- expressions ----

    private void printOperatorSymbol(Node op) {
        if (op.is(Kind.OPERATOR)) {
            append(op.operator.text);
        } else {
            print(op);
        }
    }

    private void printSubexpression(Node dc) {
        boolean simple = dc.is(Kind.NAME) || dc.is(Kind.QUAL_NAME) || dc.is(Kind.INITIALIZER_LIST)
                || dc.is(Kind.FUNCTION_PARAM);
        if (!simple) {
            append('(');
        }
        print(dc);
        if (!simple) {
            append(')');
        }
    }

    private void printUnary(Node dc) {
        Node op = dc.left;
        Node operand = dc.right;
        Operator code = null;
        if (op.is(Kind.OPERATOR)) {
            code = op.operator;
            if (code == Operator.ADDRESS_OF && operand.is(Kind.TYPED_NAME) && operand.left.is(Kind.QUAL_NAME)
                    && operand.right.is(Kind.FUNCTION_TYPE)) {
                // The address of a member function: no parameter list.
                operand = operand.left;
            }
            if (operand.is(Kind.BINARY_ARGS)) {
                // A postfix ++ or --.
                printSubexpression(operand.left);
                printOperatorSymbol(op);
                return;
            }
        }
        if (code == Operator.SIZEOF_PACK) {
            Node pack = findPack(operand);
            appendNumber(pack == null ? 0 : pack.items.size());
            return;
        }
        if (code == Operator.SIZEOF_PACK_ARGS) {
            appendNumber(argumentsLength(operand));
            return;
        }
        if (op.is(Kind.CAST)) {
            append('(');
            print(op.left);
            append(')');
        } else {
            printOperatorSymbol(op);
        }
        if (code == Operator.GLOBAL_SCOPE) {
            print(operand);
        } else if (code == Operator.SIZEOF_TYPE) {
            append('(');
            print(operand);
            append(')');
        } else {
            printSubexpression(operand);
        }
    }

    private void printBinary(Node dc) {
        Node args = dc.right;
        if (!args.is(Kind.BINARY_ARGS)) {
            fail();
            return;
        }
        Operator op = dc.left.operator;
        if (op.isNewStyleCast()) {
            printOperatorSymbol(dc.left);
            append('<');
            print(args.left);
            append(">(");
            print(args.right);
            append(')');
            return;
        }
        if (printFold(dc) || printDesignatedInit(dc)) {
            return;
        }
        // Parenthesise '>' so that it does not close a template argument list.
        boolean greater = op == Operator.GREATER;
        if (greater) {
            append('(');
        }
        if (op == Operator.CALL && args.left.is(Kind.TYPED_NAME)) {
            Node function = args.left;
            if (!function.right.is(Kind.FUNCTION_TYPE)) {
                fail();
            }
            printSubexpression(function.left);
        } else {
            printSubexpression(args.left);
        }
        if (op == Operator.INDEX) {
            append('[');
            print(args.right);
            append(']');
        } else {
            if (op != Operator.CALL) {
                printOperatorSymbol(dc.left);
            }
            printSubexpression(args.right);
        }
        if (greater) {
            append(')');
        }
    }

    private void printTrinary(Node dc) {
        Node arg1 = dc.right;
        if (!arg1.is(Kind.TRINARY_ARG1) || !arg1.right.is(Kind.TRINARY_ARG2)) {
            fail();
            return;
        }
        if (printFold(dc) || printDesignatedInit(dc)) {
            return;
        }
        Node first = arg1.left;
        Node second = arg1.right.left;
        Node third = arg1.right.right;
        if (dc.left.operator == Operator.CONDITIONAL) {
            printSubexpression(first);
            printOperatorSymbol(dc.left);
            printSubexpression(second);
            append(" : ");
            printSubexpression(third);
        } else {
            append("new ");
            if (first.items != null && !first.items.isEmpty()) {
                printSubexpression(first);
                append(' ');
            }
            print(second);
            if (third != null) {
                printSubexpression(third);
            }
        }
    }

    private boolean printFold(Node dc) {
        Operator code = dc.left.operator;
        if (!code.isFold()) {
            return false;
        }
        Node ops = dc.right;
        Node operator = ops.left;
        Node op1 = ops.right;
        Node op2 = null;
        if (op1.is(Kind.TRINARY_ARG2)) {
            op2 = op1.right;
            op1 = op1.left;
        }
        int savedIndex = packIndex;
        packIndex = -1;
        switch (code) {
            case UNARY_LEFT_FOLD:
                append("(...");
                printOperatorSymbol(operator);
                printSubexpression(op1);
                append(')');
                break;
            case UNARY_RIGHT_FOLD:
                append('(');
                printSubexpression(op1);
                printOperatorSymbol(operator);
                append("...)");
                break;
            default:
                append('(');
                printSubexpression(op1);
                printOperatorSymbol(operator);
                append("...");
                printOperatorSymbol(operator);
                printSubexpression(op2);
                append(')');
                break;
        }
        packIndex = savedIndex;
        return true;
    }

    private static boolean isDesignator(Operator op) {
        return op == Operator.FIELD_DESIGNATOR || op == Operator.INDEX_DESIGNATOR
                || op == Operator.RANGE_DESIGNATOR;
    }

    private boolean printDesignatedInit(Node dc) {
        Operator code = dc.left.operator;
        if (!isDesignator(code)) {
            return false;
        }
        Node ops = dc.right;
        Node op1 = ops.left;
        Node op2 = ops.right;
        Node op3 = null;
        if (code == Operator.RANGE_DESIGNATOR) {
            op3 = op2.right;
            op2 = op2.left;
        }
        append(code == Operator.FIELD_DESIGNATOR ? '.' : '[');
        print(op1);
        if (code == Operator.RANGE_DESIGNATOR) {
            append(" ... ");
            print(op2);
            op2 = op3;
        }
        if (code != Operator.FIELD_DESIGNATOR) {
            append(']');
        }
        if (op2 != null && (op2.is(Kind.BINARY) || op2.is(Kind.TRINARY)) && op2.left.is(Kind.OPERATOR)
                && isDesignator(op2.left.operator)) {
            print(op2);
        } else {
            append('=');
            printSubexpression(op2);
        }
        return true;
    }

    private void printLiteral(Node dc) {
        boolean negative = dc.is(Kind.LITERAL_NEG);
        BuiltinType.Literal style = BuiltinType.Literal.DEFAULT;
        if (dc.left.is(Kind.BUILTIN)) {
            style = dc.left.builtin.literal;
            switch (style) {
                case INT:
                case UNSIGNED:
                case LONG:
                case UNSIGNED_LONG:
                case LONG_LONG:
                case UNSIGNED_LONG_LONG:
                    if (dc.right.is(Kind.NAME)) {
                        if (negative) {
                            append('-');
                        }
                        print(dc.right);
                        append(integerSuffix(style));
                        return;
                    }
                    break;
                case BOOL:
                    if (dc.right.is(Kind.NAME) && dc.right.text.length() == 1 && !negative) {
                        char v = dc.right.text.charAt(0);
                        if (v == '0') {
                            append("false");
                            return;
                        }
                        if (v == '1') {
                            append("true");
                            return;
                        }
                    }
                    break;
                default:
                    break;
            }
        }
        append('(');
        print(dc.left);
        append(')');
        if (negative) {
            append('-');
        }
        if (style == BuiltinType.Literal.FLOAT) {
            append('[');
        }
        print(dc.right);
        if (style == BuiltinType.Literal.FLOAT) {
            append(']');
        }
    }

    private static String integerSuffix(BuiltinType.Literal style) {
        switch (style) {
            case UNSIGNED:
                return "u";
            case LONG:
                return "l";
            case UNSIGNED_LONG:
                return "ul";
            case LONG_LONG:
                return "ll";
            case UNSIGNED_LONG_LONG:
                return "ull";
            default:
                return "";
        }
    }

    // ---- packs ----

    /** The first template argument pack that {@code dc} refers to, or null. */
    private Node findPack(Node dc) {
        if (dc == null || failed) {
            return null;
        }
        if (++steps > MAX_STEPS || depth >= MAX_DEPTH) {
            failed = true;
            return null;
        }
        switch (dc.kind) {
            case TEMPLATE_PARAM: {
                Node a = lookupTemplateArgument(dc);
                return a != null && a.is(Kind.TEMPLATE_ARGLIST) ? a : null;
            }
            case PACK_EXPANSION:
            case LAMBDA:
            case NAME:
            case TAGGED_NAME:
            case OPERATOR:
            case BUILTIN:
            case EXTENDED_BUILTIN:
            case SUB_STD:
            case FUNCTION_PARAM:
            case UNNAMED_TYPE:
            case DEFAULT_ARG:
            case NUMBER:
                return null;
            case ARGLIST:
            case TEMPLATE_ARGLIST:
                for (Node item : dc.items) {
                    Node a = findPack(item);
                    if (a != null) {
                        return a;
                    }
                }
                return null;
            default: {
                depth++;
                Node a = findPack(dc.left);
                if (a == null) {
                    a = findPack(dc.right);
                }
                depth--;
                return a;
            }
        }
    }

    private int argumentsLength(Node args) {
        if (!args.is(Kind.TEMPLATE_ARGLIST)) {
            return 0;
        }
        int count = 0;
        for (Node item : args.items) {
            if (item.is(Kind.PACK_EXPANSION)) {
                Node pack = findPack(item.left);
                count += pack == null ? 0 : pack.items.size();
            } else {
                count++;
            }
        }
        return count;
    }
}
