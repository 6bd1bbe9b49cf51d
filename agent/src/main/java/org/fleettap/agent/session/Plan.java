package org.fleettap.agent.session;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fleettap.agent.probe.ProbeSite;

/**
 * What a session runs: probe sites with one handler each (by index), begin and end handlers, timers, the sites
 * whose handlers need the user stack, and the sites whose handlers do nothing unless the task has a given name
 * ({@code if (execname() != "NAME") next} first): for those the kernel may drop the other hits itself.
 */
public record Plan(List<ProbeSite> sites, List<Handler> siteHandlers, List<Handler> begin, List<Handler> end,
        List<Timer> timers, Set<Integer> stackSites, Map<Integer, String> commFilters) {

    public Plan(List<ProbeSite> sites, List<Handler> siteHandlers, List<Handler> begin, List<Handler> end,
            List<Timer> timers, Set<Integer> stackSites) {
        this(sites, siteHandlers, begin, end, timers, stackSites, Map.of());
    }

    public Plan {
        sites = List.copyOf(sites);
        siteHandlers = List.copyOf(siteHandlers);
        begin = List.copyOf(begin);
        end = List.copyOf(end);
        timers = List.copyOf(timers);
        stackSites = Set.copyOf(stackSites);
        commFilters = Map.copyOf(commFilters);
        if (sites.size() != siteHandlers.size()) {
            throw new IllegalArgumentException(sites.size() + " sites but " + siteHandlers.size() + " handlers");
        }
    }

    /** A script timer (timer.ms(N), timer.s(N)): runs in the session every {@code periodNanos}. */
    public record Timer(String point, long periodNanos, Handler handler) {
        public Timer {
            if (periodNanos <= 0) {
                throw new IllegalArgumentException("timer period must be positive: " + periodNanos);
            }
        }
    }
}
