package org.fleettap.agent.probe;

import java.util.regex.Pattern;

/** Shell-style globs as stap uses them in probe points: '*', '?' and '[...]'. */
final class Glob {
    private final String text;
    private final Pattern pattern;

    private Glob(String text, Pattern pattern) {
        this.text = text;
        this.pattern = pattern;
    }

    static Glob of(String text) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '[' -> {
                    int close = text.indexOf(']', i + 1);
                    if (close < 0) {
                        re.append("\\[");
                    } else {
                        String body = text.substring(i + 1, close);
                        if (body.startsWith("!")) {
                            body = "^" + body.substring(1);
                        }
                        re.append('[').append(body.replace("\\", "\\\\")).append(']');
                        i = close;
                    }
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return new Glob(text, Pattern.compile(re.toString()));
    }

    boolean isLiteral() {
        return text.indexOf('*') < 0 && text.indexOf('?') < 0 && text.indexOf('[') < 0;
    }

    boolean matches(String name) {
        return isLiteral() ? text.equals(name) : pattern.matcher(name).matches();
    }

    @Override
    public String toString() {
        return text;
    }
}
