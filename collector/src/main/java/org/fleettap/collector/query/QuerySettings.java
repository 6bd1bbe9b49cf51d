package org.fleettap.collector.query;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link QueryServiceImpl} serves live streams.
 *
 * @param windowGrace FollowAggregates sends a window once every host seen on the stream has moved past it, or this
 *     long after its first batch arrived
 * @param followBufferLines the most output lines FollowOutput holds for a client that reads slower than they come;
 *     beyond that the stream ends with RESOURCE_EXHAUSTED
 * @param backlogPageLines stored lines read per store read when FollowOutput starts from a past time
 */
public record QuerySettings(Duration windowGrace, int followBufferLines, int backlogPageLines) {
    public static final Duration DEFAULT_WINDOW_GRACE = Duration.ofSeconds(2);
    public static final int DEFAULT_FOLLOW_BUFFER_LINES = 100_000;
    public static final int DEFAULT_BACKLOG_PAGE_LINES = 1000;

    public QuerySettings {
        Objects.requireNonNull(windowGrace, "windowGrace");
        if (windowGrace.isNegative()) {
            throw new IllegalArgumentException("windowGrace must not be negative: " + windowGrace);
        }
        if (followBufferLines < 1 || backlogPageLines < 1) {
            throw new IllegalArgumentException("followBufferLines and backlogPageLines must be positive: "
                    + followBufferLines + ", " + backlogPageLines);
        }
    }

    public static QuerySettings defaults() {
        return new QuerySettings(DEFAULT_WINDOW_GRACE, DEFAULT_FOLLOW_BUFFER_LINES, DEFAULT_BACKLOG_PAGE_LINES);
    }

    public QuerySettings withWindowGrace(Duration grace) {
        return new QuerySettings(grace, followBufferLines, backlogPageLines);
    }

    public QuerySettings withFollowBufferLines(int lines) {
        return new QuerySettings(windowGrace, lines, backlogPageLines);
    }

    public QuerySettings withBacklogPageLines(int lines) {
        return new QuerySettings(windowGrace, followBufferLines, lines);
    }
}
