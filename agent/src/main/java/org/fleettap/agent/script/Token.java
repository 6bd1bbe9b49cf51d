package org.fleettap.agent.script;

/**
 * One lexical token. {@code text} is the spelling for names, keywords and operators, the decoded value for strings,
 * the name without its sigil for {@code $name}, {@code @name}, {@code $N} and {@code @N}. {@code number} holds an
 * integer literal's value. {@code start}/{@code end} are character offsets, used to glue probe point names such as
 * {@code sys_*} back together.
 */
record Token(Kind kind, String text, long number, SourceLocation location, int start, int end) {

    enum Kind {
        IDENT, KEYWORD, NUMBER, STRING,
        /** {@code $name}: a target (context) variable. */
        TARGET,
        /** {@code $N}: a script argument inserted unquoted. */
        ARG_NUMBER,
        /** {@code @N}: a script argument inserted as a string. */
        ARG_STRING,
        /** {@code @name}: an operator such as {@code @count} or {@code @entry}. */
        AT_NAME,
        OP, EOF
    }

    boolean is(Kind k, String t) {
        return kind == k && text.equals(t);
    }

    boolean isOp(String t) {
        return is(Kind.OP, t);
    }

    boolean isKeyword(String t) {
        return is(Kind.KEYWORD, t);
    }

    /** How the token is shown in "expected X, found Y" messages. */
    String describe() {
        return switch (kind) {
            case EOF -> "end of input";
            case STRING -> "string \"" + text + "\"";
            case NUMBER -> "number " + text;
            case TARGET -> "'$" + text + "'";
            case ARG_NUMBER -> "'$" + text + "'";
            case ARG_STRING, AT_NAME -> "'@" + text + "'";
            case KEYWORD -> "keyword '" + text + "'";
            default -> "'" + text + "'";
        };
    }
}
