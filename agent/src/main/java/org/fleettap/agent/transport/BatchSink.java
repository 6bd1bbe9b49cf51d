package org.fleettap.agent.transport;

import java.time.Duration;
import org.fleettap.proto.v1.Batch;

/**
 * Where the agent's exporter hands finished batches: the collector over gRPC ({@link GrpcTransport})
 * or a Kafka topic ({@link KafkaTransport}), with a bounded disk {@link Spool} behind either.
 *
 * <p>Batches are numbered by the exporter, per (host, session), and a sink never renumbers them. It
 * delivers each batch at least once, in order per (host, session), unless it has to drop it: then
 * the drop is counted and reported to the collector in a later batch of the same (host, session)
 * ({@code Batch.spool_dropped_batches}). Implementations are thread-safe.
 */
public interface BatchSink extends AutoCloseable {

    /**
     * Hands a batch over. Never blocks for long: the batch goes into a bounded in-memory queue from
     * which the transport's own thread moves it to the spool and onto the network. When the queue
     * is full, or the sink is closed, the batch is dropped and counted ({@link
     * TransportStats#intakeDropped()}).
     */
    void submit(Batch batch);

    /**
     * Sends or spools everything submitted so far: returns once every batch has been acknowledged,
     * or when the timeout has passed; either way everything submitted before the call is in the
     * spool (on disk) by then, unless the timeout passed first. Used on SIGTERM.
     */
    void flush(Duration timeout);

    /** What the sink has done so far, and where its spool stands. */
    TransportStats stats();

    /**
     * Stops intake (later {@link #submit} calls drop and count), flushes for the configured close
     * timeout, then cancels the network side and closes the spool; whatever was not acknowledged
     * stays in the spool for the next start. Idempotent.
     */
    @Override
    void close();
}
