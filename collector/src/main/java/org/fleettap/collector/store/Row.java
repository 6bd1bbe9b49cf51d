package org.fleettap.collector.store;

import java.util.List;
import java.util.Objects;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.aggregate.Summary;
import org.fleettap.proto.v1.KeyPart;

/**
 * One row of an aggregate query: a group and what was merged into it.
 *
 * @param host the host id when grouped by host, else empty
 * @param key the key when grouped by key (empty for a statistic without index), else empty
 * @param aggregate everything the group's windows recorded, merged (never empty); the row's own
 *     copy, the caller's to keep or change
 * @param summary the aggregate's figures, as they were when the row was made
 */
public record Row(String host, List<KeyPart> key, MergeableAggregate aggregate, Summary summary) {
    public Row {
        Objects.requireNonNull(host, "host");
        key = List.copyOf(key);
        Objects.requireNonNull(aggregate, "aggregate");
        Objects.requireNonNull(summary, "summary");
    }
}
