package org.fleettap.agent.transport;

/**
 * What a transport has done since it started.
 *
 * @param submitted batches accepted by {@link BatchSink#submit}
 * @param intakeDropped batches {@link BatchSink#submit} dropped: its queue was full, or the sink closed
 * @param spooled batches appended to the spool (every accepted batch is, before it is sent)
 * @param sent batches sent, resends included
 * @param applied batches the collector applied (gRPC {@code APPLIED}; Kafka: records acknowledged)
 * @param duplicates batches the collector had applied before (gRPC {@code DUPLICATE})
 * @param rejected batches refused for good (gRPC {@code REJECTED}; Kafka: a non-retriable error such
 *     as a record too large); released from the spool, never resent
 * @param failures broken streams, missing acknowledgements and failed deliveries that made the
 *     transport back off and replay from the spool
 * @param spool where the spool stands
 */
public record TransportStats(
        long submitted,
        long intakeDropped,
        long spooled,
        long sent,
        long applied,
        long duplicates,
        long rejected,
        long failures,
        SpoolStats spool) {}
