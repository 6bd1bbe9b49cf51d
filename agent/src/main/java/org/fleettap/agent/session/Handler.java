package org.fleettap.agent.session;

/** The compiled body of a probe: runs once per event. */
@FunctionalInterface
public interface Handler {
    void handle(EventContext ctx) throws HandlerException;
}
