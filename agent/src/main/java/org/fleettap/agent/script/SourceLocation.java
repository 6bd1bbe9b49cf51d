package org.fleettap.agent.script;

/** Where a token or node starts: file name, 1-based line, 1-based column (a tab counts as one column). */
public record SourceLocation(String file, int line, int column) {

    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
