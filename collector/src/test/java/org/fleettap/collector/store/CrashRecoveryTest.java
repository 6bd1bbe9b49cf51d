package org.fleettap.collector.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.GroupBy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A collector process is killed with SIGKILL while it applies batches; the store recovers from its
 * write-ahead log: every batch acknowledged before the kill is there exactly once, and resending
 * every batch applies exactly the ones that were missing.
 */
class CrashRecoveryTest {
    static final int HOSTS = 3;
    static final int PER_HOST = 400;

    @TempDir
    Path tmp;

    @Test
    void everyAcknowledgedBatchSurvivesSigkillExactlyOnce() throws Exception {
        Path dir = tmp.resolve("store");
        Path stderr = tmp.resolve("child.stderr");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                IngestChild.class.getName(), dir.toString(), Integer.toString(HOSTS), Integer.toString(PER_HOST))
                .redirectError(stderr.toFile()).start();
        Map<String, Long> acked = new HashMap<>();
        int acks = 0;
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (acks < 60 && (line = out.readLine()) != null) {
                String[] f = line.split(" ");
                assertThat(f[0]).as("child said %s", line).isEqualTo("ACK_STATUS_APPLIED");
                acked.put(f[1], Long.parseLong(f[2]));
                acks++;
            }
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(acks).as("acknowledgements before the kill; child's stderr: %s", Files.readString(stderr))
                .isEqualTo(60);
        assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);

        try (Store store = Store.open(dir, StoreOptions.defaults())) {
            Map<String, Long> applied = new HashMap<>();
            for (int h = 0; h < HOSTS; h++) {
                String host = IngestChild.host(h);
                long seq = store.appliedSequence(host, IngestChild.SESSION).orElse(0);
                // Every acknowledged batch is there. The child may have applied more than the acknowledgements
                // read before the kill (they sat in the pipe): those count as applied, once, like the rest.
                assertThat(seq).as("applied sequence of %s", host).isGreaterThanOrEqualTo(acked.get(host));
                applied.put(host, seq);
            }
            assertTotals(store, applied);

            List<Batch> all = new ArrayList<>();
            for (long seq = 1; seq <= PER_HOST; seq++) {
                for (int h = 0; h < HOSTS; h++) {
                    all.add(IngestChild.batch(IngestChild.host(h), seq));
                }
            }
            List<ApplyResult> results = new ArrayList<>();
            for (int i = 0; i < all.size(); i += 100) {
                results.addAll(store.applyAll(all.subList(i, Math.min(all.size(), i + 100)), Map.of()));
            }
            for (ApplyResult r : results) {
                AckStatus expected = r.sequence() <= applied.get(r.host())
                        ? AckStatus.ACK_STATUS_DUPLICATE : AckStatus.ACK_STATUS_APPLIED;
                assertThat(r.status()).as("resend of %s %d", r.host(), r.sequence()).isEqualTo(expected);
            }
            Map<String, Long> full = new HashMap<>();
            for (int h = 0; h < HOSTS; h++) {
                full.put(IngestChild.host(h), (long) PER_HOST);
            }
            assertTotals(store, full);
        }
    }

    private static void assertTotals(Store store, Map<String, Long> appliedPerHost) {
        AggregateResult r = store.aggregates(AggregateQuery.of(IngestChild.SESSION, IngestChild.NAME)
                .withGroupBy(GroupBy.GROUP_BY_HOST));
        for (Row row : r.rows()) {
            assertThat(row.aggregate()).as("merged deltas of %s", row.host())
                    .isEqualTo(IngestChild.merged(row.host(), appliedPerHost.get(row.host())));
        }
        assertThat(r.rows()).extracting(Row::host).containsExactlyInAnyOrderElementsOf(appliedPerHost.keySet());
        for (Map.Entry<String, Long> e : appliedPerHost.entrySet()) {
            assertThat(store.output(IngestChild.SESSION, Set.of(e.getKey()), Long.MIN_VALUE, Integer.MAX_VALUE))
                    .as("output lines of %s", e.getKey()).hasSize(e.getValue().intValue());
            assertThat(store.lost(IngestChild.SESSION, e.getKey())).isEqualTo(Losses.NONE);
        }
    }
}
