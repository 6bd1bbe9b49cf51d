package org.fleettap.agent.probe;

/**
 * One place in the kernel or a binary that a probe point resolved to: what the engine attaches. A glob point
 * resolves to many sites. Sites are plain values computed from the binaries and tracefs; attaching is separate.
 */
public sealed interface ProbeSite permits UprobeSite, TracepointSite, CpuClockSite, KprobeSite {

    /** The point this site came from, as the user wrote it. */
    ProbePoint point();

    /** A one-line description of the site itself, e.g. {@code process("/x/loop").function("f")}. */
    String describe();
}
