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

    /** A string's value on one line, escaped, and cut after 20 characters. */
    private static String shortened(String value) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < value.length() && i < 20; i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> sb.append(c < ' ' || c == 127 ? String.format("\\%03o", (int) c) : String.valueOf(c));
            }
        }
        return value.length() > 20 ? sb + "..." : sb.toString();
    }

    /** How the token is shown in "expected X, found Y" messages. */
    String describe() {
        return switch (kind) {
            case EOF -> "end of input";
            case STRING -> "string \"" + shortened(text) + "\"";
            case NUMBER -> "number " + text;
            case TARGET -> "'$" + text + "'";
            case ARG_NUMBER -> "'$" + text + "'";
            case ARG_STRING, AT_NAME -> "'@" + text + "'";
            case KEYWORD -> "keyword '" + text + "'";
            default -> "'" + text + "'";
        };
    }
}
