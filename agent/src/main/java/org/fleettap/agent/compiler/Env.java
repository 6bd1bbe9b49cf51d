package org.fleettap.agent.compiler;

import org.fleettap.agent.session.EventContext;

/**
 * What compiled code works on while one handler runs: the shared script state, the event, and the current frame
 * of locals (numbers and strings in separate slot arrays, resolved at compile time). One per handler, reused.
 */
final class Env {
    final ScriptState state;
    EventContext ctx;
    long[] longs;
    String[] strings;
    long returnLong;
    String returnString = "";
    /** The values of the probe's {@code @entry} expressions for this return, or null. */
    Object[] entry;
    /** The user stack of the event, unwound on first use. */
    long[] stack;
    int depth;
    /** Statements this handler run may still execute (MAXACTION); see {@link Statements}. */
    long actionsLeft;
    /** 10 for begin and end probes (stap's MAXACTION_INTERRUPTIBLE), else 1. */
    private final int actionScale;

    Env(ScriptState state, int longSlots, int stringSlots) {
        this(state, longSlots, stringSlots, 1);
    }

    Env(ScriptState state, int longSlots, int stringSlots, int actionScale) {
        this.actionScale = actionScale;
        this.state = state;
        this.longs = new long[longSlots];
        this.strings = new String[stringSlots];
    }

    void reset(EventContext c) {
        ctx = c;
        java.util.Arrays.fill(longs, 0);
        java.util.Arrays.fill(strings, "");
        entry = null;
        stack = null;
        depth = 0;
        actionsLeft = state.maxAction * actionScale;
    }
}
