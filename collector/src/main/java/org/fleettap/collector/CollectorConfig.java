package org.fleettap.collector;

import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.fleettap.collector.auth.AccessSettings;
import org.fleettap.collector.control.ControlConfig;
import org.fleettap.collector.ingest.IngestSettings;
import org.fleettap.collector.kafka.KafkaIngestConfig;
import org.fleettap.collector.query.QuerySettings;
import org.fleettap.collector.store.StoreOptions;

/**
 * What a {@link Collector} serves, where, and how.
 *
 * @param listenHost the address to listen on ({@code 0.0.0.0} for all, {@code 127.0.0.1} for loopback)
 * @param listenPort the port; 0 picks a free one ({@link Collector#port()} tells which)
 * @param dataDir the store's directory (created if missing)
 * @param credentials the server's credentials: plaintext by default; TLS (with client certificates) goes here
 * @param store how the store keeps data
 * @param control the control plane's settings; its {@code max_unacked_batches} and {@code max_batch_bytes}, which
 *     agents are told, replace the stream window and batch limit of {@code ingest}
 * @param ingest the ingest queue and group commit
 * @param query live query streams
 * @param kafka when present, batches are also read from this Kafka topic
 * @param compactionInterval how often data past its retention is deleted
 * @param access whether callers are checked (certificates and tokens) or not (insecure: everyone is the anonymous
 *     admin); checking needs TLS with client certificates in {@code credentials}
 */
public record CollectorConfig(String listenHost, int listenPort, Path dataDir, ServerCredentials credentials,
        StoreOptions store, ControlConfig control, IngestSettings ingest, QuerySettings query,
        Optional<KafkaIngestConfig> kafka, Duration compactionInterval, AccessSettings access) {
    public static final Duration DEFAULT_COMPACTION_INTERVAL = Duration.ofMinutes(10);

    public CollectorConfig {
        Objects.requireNonNull(listenHost, "listenHost");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(control, "control");
        Objects.requireNonNull(ingest, "ingest");
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(compactionInterval, "compactionInterval");
        Objects.requireNonNull(access, "access");
        if (listenHost.isBlank()) {
            throw new IllegalArgumentException("listen host is empty");
        }
        if (listenPort < 0 || listenPort > 65535) {
            throw new IllegalArgumentException("listen port " + listenPort + " is not in 0..65535");
        }
        if (compactionInterval.isNegative() || compactionInterval.isZero()) {
            throw new IllegalArgumentException("compaction interval must be positive: " + compactionInterval);
        }
        // What the control plane tells agents is what ingest enforces.
        ingest = ingest.withMaxBatchBytes(control.maxBatchBytes()).withStreamWindow(control.maxUnackedBatches());
    }

    /**
     * Plaintext on {@code host:port}, the store in {@code dataDir}, every other setting at its default, no Kafka, no
     * access checks (insecure).
     */
    public static CollectorConfig of(String host, int port, Path dataDir) {
        ControlConfig control = ControlConfig.defaults();
        return new CollectorConfig(host, port, dataDir, InsecureServerCredentials.create(), StoreOptions.defaults(),
                control, IngestSettings.defaults(), QuerySettings.defaults(), Optional.empty(),
                DEFAULT_COMPACTION_INTERVAL, AccessSettings.insecure());
    }

    public CollectorConfig withCredentials(ServerCredentials c) {
        return new CollectorConfig(listenHost, listenPort, dataDir, c, store, control, ingest, query, kafka,
                compactionInterval, access);
    }

    public CollectorConfig withStore(StoreOptions s) {
        return new CollectorConfig(listenHost, listenPort, dataDir, credentials, s, control, ingest, query, kafka,
                compactionInterval, access);
    }

    public CollectorConfig withControl(ControlConfig c) {
        return new CollectorConfig(listenHost, listenPort, dataDir, credentials, store, c, ingest, query, kafka,
                compactionInterval, access);
    }

    public CollectorConfig withIngest(IngestSettings i) {
        return new CollectorConfig(listenHost, listenPort, dataDir, credentials, store, control, i, query, kafka,
                compactionInterval, access);
    }

    public CollectorConfig withQuery(QuerySettings q) {
        return new CollectorConfig(listenHost, listenPort, dataDir, credentials, store, control, ingest, q, kafka,
                compactionInterval, access);
    }

    public CollectorConfig withKafka(KafkaIngestConfig k) {
        return new CollectorConfig(listenHost, listenPort, dataDir, credentials, store, control, ingest, query,
                Optional.of(k), compactionInterval, access);
    }

    public CollectorConfig withAccess(AccessSettings a) {
        return new CollectorConfig(listenHost, listenPort, dataDir, credentials, store, control, ingest, query, kafka,
                compactionInterval, a);
    }

    public CollectorConfig withCompactionInterval(Duration d) {
        return new CollectorConfig(listenHost, listenPort, dataDir, credentials, store, control, ingest, query, kafka,
                d, access);
    }
}
