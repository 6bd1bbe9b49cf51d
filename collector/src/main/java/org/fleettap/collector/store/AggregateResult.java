package org.fleettap.collector.store;

import java.util.List;

/**
 * The answer to an {@link AggregateQuery}.
 *
 * @param rows the rows, ordered as the query asked
 * @param totalRows how many rows there were before top-N cut them
 */
public record AggregateResult(List<Row> rows, int totalRows) {
    public AggregateResult {
        rows = List.copyOf(rows);
    }
}
