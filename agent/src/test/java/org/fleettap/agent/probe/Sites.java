package org.fleettap.agent.probe;

import java.util.ArrayList;
import java.util.List;
import org.fleettap.agent.target.Target;

/** Test helper: resolves probe points the way the CLI does, marks reading their arguments. */
final class Sites {
    private Sites() {
    }

    static List<ProbeSite> resolve(Target target, String... points) throws Exception {
        ProbeResolver r = ProbeResolver.forTarget(target);
        List<ProbeSite> sites = new ArrayList<>();
        for (String p : points) {
            sites.addAll(r.resolve(ProbePointParser.parse(p)));
        }
        return r.withMarkArguments(sites);
    }
}
