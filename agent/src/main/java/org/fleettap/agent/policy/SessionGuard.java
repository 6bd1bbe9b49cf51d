package org.fleettap.agent.policy;

import java.io.OutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.fleettap.agent.session.EventContext;
import org.fleettap.agent.session.Handler;
import org.fleettap.agent.session.Plan;

/**
 * Holds a running session to a policy's users rule and budgets, on the session's thread.
 *
 * <ul>
 * <li><b>users</b>: a probe on every process (pid -1) cannot be limited by user when it is attached, so the rule
 * holds where events are handled: an event whose process's real or effective uid is not in the rule (or is not
 * known) is dropped before the script's handler sees it, and counted ({@link #droppedByUser()}).</li>
 * <li><b>max_events_per_second</b>: handled events (those that passed the users rule) are counted per second of
 * their own time; over the limit the session is stopped.</li>
 * <li><b>max_map_entries</b>: the entries of all the script's arrays together, checked after each handler.</li>
 * <li><b>max_output_bytes_per_second</b>: the bytes the script prints, per second of the agent's clock.</li>
 * </ul>
 * Once a budget is passed, {@link #stopReason()} says which and by how much, nothing more reaches the handlers or
 * the output, and the runner stops the session: its probes are detached and the traced programs go on.
 */
public final class SessionGuard {
    private final Policy policy;
    private final LongSupplier mapEntries;
    private final LongSupplier clock;
    private final RateBudget events;
    private final RateBudget output;
    private String stopReason;
    private long droppedByUser;

    /**
     * @param mapEntries how many entries the script's arrays hold now
     * @param clock      monotonic nanoseconds, for the output rate
     */
    public SessionGuard(Policy policy, LongSupplier mapEntries, LongSupplier clock) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.mapEntries = Objects.requireNonNull(mapEntries, "mapEntries");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.events = policy.maxEventsPerSecond().map(r -> new RateBudget(r.value())).orElse(null);
        this.output = policy.maxOutputBytesPerSecond().map(r -> new RateBudget(r.value())).orElse(null);
    }

    /** Whether anything needs guarding at run time; without, the plan can run as it is. */
    public boolean isNeeded() {
        return policy.users().isPresent() || events != null || output != null || policy.maxMapEntries().isPresent();
    }

    /** The plan with its probe and timer handlers guarded; begin and end handlers run as they are. */
    public Plan guard(Plan plan) {
        List<Handler> sites = new ArrayList<>();
        for (Handler h : plan.siteHandlers()) {
            sites.add(ctx -> {
                if (admit(ctx)) {
                    h.handle(ctx);
                    afterHandler();
                }
            });
        }
        List<Plan.Timer> timers = new ArrayList<>();
        for (Plan.Timer t : plan.timers()) {
            timers.add(new Plan.Timer(t.point(), t.periodNanos(), ctx -> {
                if (stopReason == null) {
                    t.handler().handle(ctx);
                    afterHandler();
                }
            }));
        }
        return new Plan(plan.sites(), sites, plan.begin(), plan.end(), timers, plan.stackSites(), plan.commFilters());
    }

    /** {@code out} with the output budget applied: bytes past it are not written. */
    public OutputStream guard(OutputStream out) {
        if (output == null) {
            return out;
        }
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (stopReason != null) {
                    return;
                }
                long rate = output.add(len, clock.getAsLong());
                if (rate >= 0) {
                    Rule<Long> r = policy.maxOutputBytesPerSecond().orElseThrow();
                    stop(rate + " bytes/s of output over " + r.name() + " " + r.value());
                    return;
                }
                out.write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }
        };
    }

    /** Why the session must stop ({@code stopped by policy: ...}); empty while it is within its budgets. */
    public Optional<String> stopReason() {
        return Optional.ofNullable(stopReason);
    }

    /** Events dropped because their process belongs to a user the policy does not allow. */
    public long droppedByUser() {
        return droppedByUser;
    }

    private boolean admit(EventContext ctx) {
        if (stopReason != null) {
            return false;
        }
        if (policy.users().isPresent()) {
            Set<Integer> allowed = policy.users().get().value();
            if (!allowed.contains(ctx.uid()) || !allowed.contains(ctx.euid())) {
                droppedByUser++;
                return false;
            }
        }
        if (events != null) {
            long rate = events.add(1, ctx.monotonicNanos());
            if (rate >= 0) {
                Rule<Long> r = policy.maxEventsPerSecond().orElseThrow();
                stop(rate + " events/s over " + r.name() + " " + r.value());
                return false;
            }
        }
        return true;
    }

    private void afterHandler() {
        if (policy.maxMapEntries().isPresent() && stopReason == null) {
            Rule<Long> r = policy.maxMapEntries().get();
            long n = mapEntries.getAsLong();
            if (n > r.value()) {
                stop(n + " map entries over " + r.name() + " " + r.value());
            }
        }
    }

    private void stop(String why) {
        stopReason = "stopped by policy: " + why;
    }
}
