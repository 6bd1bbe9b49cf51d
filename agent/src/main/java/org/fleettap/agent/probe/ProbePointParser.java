package org.fleettap.agent.probe;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses one probe point: {@code component ( "." component )*} where a component is a name (letters, digits, '_',
 * and the glob '*') with an optional parenthesised string literal or integer.
 */
public final class ProbePointParser {
    private final String text;
    private int pos;

    private ProbePointParser(String text) {
        this.text = text;
    }

    public static ProbePoint parse(String text) throws ProbePointSyntaxException {
        ProbePointParser p = new ProbePointParser(text.strip());
        return p.point();
    }

    private ProbePoint point() throws ProbePointSyntaxException {
        List<ProbePoint.Component> parts = new ArrayList<>();
        if (text.isEmpty()) {
            throw error("empty probe point");
        }
        parts.add(component());
        while (pos < text.length()) {
            if (text.charAt(pos) != '.') {
                throw error("expected '.' or end, found '" + text.charAt(pos) + "'");
            }
            pos++;
            parts.add(component());
        }
        return new ProbePoint(parts);
    }

    private ProbePoint.Component component() throws ProbePointSyntaxException {
        int start = pos;
        while (pos < text.length() && isNameChar(text.charAt(pos))) {
            pos++;
        }
        if (start == pos) {
            throw error(pos < text.length() ? "expected a name, found '" + text.charAt(pos) + "'"
                    : "expected a name after '.'");
        }
        String name = text.substring(start, pos);
        if (pos < text.length() && text.charAt(pos) == '(') {
            pos++;
            Object arg = argument();
            if (pos >= text.length() || text.charAt(pos) != ')') {
                throw error("expected ')'");
            }
            pos++;
            return new ProbePoint.Component(name, arg);
        }
        return new ProbePoint.Component(name, null);
    }

    private Object argument() throws ProbePointSyntaxException {
        if (pos >= text.length()) {
            throw error("expected a string or a number");
        }
        char c = text.charAt(pos);
        if (c == '"') {
            return string();
        }
        if (c == '-' || Character.isDigit(c)) {
            return number();
        }
        throw error("expected a string or a number, found '" + c + "'");
    }

    private String string() throws ProbePointSyntaxException {
        int open = pos;
        pos++;
        StringBuilder sb = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            }
            if (c == '\\' && pos < text.length()) {
                char e = text.charAt(pos++);
                sb.append(e == 'n' ? '\n' : e == 't' ? '\t' : e);
            } else {
                sb.append(c);
            }
        }
        pos = open;
        throw error("unterminated string");
    }

    private Long number() throws ProbePointSyntaxException {
        int start = pos;
        if (text.charAt(pos) == '-') {
            pos++;
        }
        int radix = 10;
        if (text.startsWith("0x", pos) || text.startsWith("0X", pos)) {
            radix = 16;
            pos += 2;
        }
        int digits = pos;
        while (pos < text.length() && Character.digit(text.charAt(pos), radix) >= 0) {
            pos++;
        }
        if (digits == pos) {
            throw error("expected digits");
        }
        String s = text.substring(start, pos).replace("0x", "").replace("0X", "");
        try {
            return Long.parseLong(s, radix);
        } catch (NumberFormatException e) {
            pos = start;
            throw error("number out of range");
        }
    }

    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '*';
    }

    private ProbePointSyntaxException error(String problem) {
        return new ProbePointSyntaxException(text, pos + 1, problem);
    }
}
