/**
 * The agent's transport: how finished batches leave the host.
 *
 * <p>The exporter hands batches, numbered per (host, session), to a {@link
 * org.fleettap.agent.transport.BatchSink}: {@link org.fleettap.agent.transport.GrpcTransport} (the
 * collector's {@code IngestService.Ingest} stream) or {@link
 * org.fleettap.agent.transport.KafkaTransport} (an idempotent producer, {@code acks=all}, records
 * keyed by host id). Both put every batch in a bounded in-memory queue, from which their one thread
 * appends it to the {@link org.fleettap.agent.transport.Spool} (a bounded write-ahead log on disk)
 * before sending it from there within a window of unacknowledged batches. An acknowledgement
 * releases the batch; a broken connection rewinds the spool and, after a backoff with jitter, the
 * transport resends in order everything that was not acknowledged. Delivery is at least once and in
 * order per (host, session); the collector applies each (host, session, sequence) once.
 *
 * <p>What cannot be kept is counted, never hidden: a full queue or a full spool drops (the oldest
 * spooled batches first) and the count travels to the collector in the next batch of the same
 * (host, session) ({@code Batch.spool_dropped_batches}); damaged spool records are skipped and
 * counted. {@link org.fleettap.agent.transport.TransportStats} and {@link
 * org.fleettap.agent.transport.SpoolStats} report it all (e.g. for {@code
 * HeartbeatRequest.spool}).
 */
package org.fleettap.agent.transport;
