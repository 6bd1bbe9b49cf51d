package org.fleettap.agent.probe;

/** A kernel tracepoint, e.g. syscalls:sys_enter_futex. */
public record TracepointSite(ProbePoint point, String system, String event) implements ProbeSite {
    @Override
    public String describe() {
        return "kernel.trace(\"" + system + ":" + event + "\")";
    }
}
