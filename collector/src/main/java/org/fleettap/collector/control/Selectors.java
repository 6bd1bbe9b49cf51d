package org.fleettap.collector.control;

import java.util.Map;
import org.fleettap.proto.v1.TargetSelector;

/** Which hosts a {@link TargetSelector} picks (the rule stated in session.proto). */
public final class Selectors {
    private Selectors() {
    }

    /**
     * True when the host carries every label of the selector with an equal value and, if the selector names host
     * ids, its id is one of them. An empty selector matches every host.
     */
    public static boolean matches(TargetSelector selector, String hostId, Map<String, String> hostLabels) {
        if (selector.getHostIdsCount() > 0 && !selector.getHostIdsList().contains(hostId)) {
            return false;
        }
        for (Map.Entry<String, String> label : selector.getLabelsMap().entrySet()) {
            if (!label.getValue().equals(hostLabels.get(label.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
