package org.fleettap.collector.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RefusalsTest {
    @Test
    void countsEveryRefusalAndLogsEachKindAtMostOncePerInterval() {
        AtomicLong now = new AtomicLong(1_000);
        Refusals r = new Refusals(now::get);
        String query = "fleettap.v1.QueryService";
        String ingest = "fleettap.v1.IngestService";
        assertThat(r.refused(query, Refusals.Reason.NO_TOKEN, "a")).isTrue();
        assertThat(r.refused(query, Refusals.Reason.NO_TOKEN, "b")).isFalse();
        // Another kind has its own interval.
        assertThat(r.refused(query, Refusals.Reason.UNKNOWN_TOKEN, "c")).isTrue();
        assertThat(r.refused(ingest, Refusals.Reason.WRONG_HOST, "d")).isTrue();
        now.addAndGet(Refusals.LOG_INTERVAL_NANOS - 1);
        assertThat(r.refused(query, Refusals.Reason.NO_TOKEN, "e")).isFalse();
        now.addAndGet(1);
        assertThat(r.refused(query, Refusals.Reason.NO_TOKEN, "f")).isTrue();
        for (int i = 0; i < 1000; i++) {
            r.refused(ingest, Refusals.Reason.WRONG_HOST, "g");
        }
        assertThat(r.counts()).hasSize(3);
        assertThat(r.counts().get(new Refusals.Key(ingest, Refusals.Reason.WRONG_HOST))).isEqualTo(1001);
        assertThat(r.counts().get(new Refusals.Key(query, Refusals.Reason.NO_TOKEN))).isEqualTo(4);
        assertThat(r.counts().get(new Refusals.Key(query, Refusals.Reason.UNKNOWN_TOKEN))).isEqualTo(1);
        assertThat(r.total()).isEqualTo(1006);
        assertThat(Refusals.Reason.TOKEN_OF_ANOTHER_USER.word()).isEqualTo("token-of-another-user");
    }
}
