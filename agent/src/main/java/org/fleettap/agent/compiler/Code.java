package org.fleettap.agent.compiler;

/**
 * The shapes compiled code takes: closures over an {@link Env} that give a number ({@link L}), a string
 * ({@link S}), either ({@link V}), or run a statement and give a control code ({@link X}); and assignable places.
 */
final class Code {
    /** What a statement tells the one around it: go on, leave or restart a loop, the function, the handler. */
    static final int NORMAL = 0;
    static final int BREAK = 1;
    static final int CONTINUE = 2;
    static final int RETURN = 3;
    static final int NEXT = 4;

    interface L {
        long eval(Env e);
    }

    interface S {
        String eval(Env e);
    }

    interface V {
        Object eval(Env e);
    }

    interface X {
        int exec(Env e);
    }

    /** An assignable place: {@code key} evaluates an array element's key once (null for scalars). */
    interface LPlace {
        Object key(Env e);

        long get(Env e, Object key);

        void set(Env e, Object key, long v);
    }

    interface SPlace {
        Object key(Env e);

        String get(Env e, Object key);

        void set(Env e, Object key, String v);
    }

    private Code() {
    }
}
