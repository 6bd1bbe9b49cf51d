package org.fleettap.agent.probe;

/** A probe point that does not parse; names the column (1-based) where it goes wrong. */
public final class ProbePointSyntaxException extends ProbeException {
    private final int column;

    public ProbePointSyntaxException(String text, int column, String problem) {
        super("probe point '" + text + "' col " + column + ": " + problem);
        this.column = column;
    }

    public int column() {
        return column;
    }
}
