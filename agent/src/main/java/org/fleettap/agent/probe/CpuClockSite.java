package org.fleettap.agent.probe;

/** Software cpu-clock sampling on every CPU, every {@code periodNanos} of CPU time (timer.profile). */
public record CpuClockSite(ProbePoint point, long periodNanos) implements ProbeSite {
    public CpuClockSite {
        if (periodNanos <= 0) {
            throw new IllegalArgumentException("period must be positive: " + periodNanos);
        }
    }

    @Override
    public String describe() {
        return "cpu-clock every " + periodNanos + " ns on every CPU";
    }
}
