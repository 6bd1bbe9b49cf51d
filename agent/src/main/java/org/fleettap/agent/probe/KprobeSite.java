package org.fleettap.agent.probe;

/** A kprobe or kretprobe on a kernel function, through the kprobe PMU (system-wide: kernel code has no process). */
public record KprobeSite(ProbePoint point, String function, boolean retprobe) implements ProbeSite {
    @Override
    public String describe() {
        return "kernel.function(\"" + function + "\")" + (retprobe ? ".return" : "");
    }
}
