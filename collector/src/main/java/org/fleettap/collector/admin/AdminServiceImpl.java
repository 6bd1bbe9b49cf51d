package org.fleettap.collector.admin;

import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.fleettap.collector.auth.AuditLog;
import org.fleettap.collector.auth.Refusals;
import org.fleettap.collector.control.Unary;
import org.fleettap.collector.ingest.IngestStats;
import org.fleettap.collector.kafka.KafkaIngestStats;
import org.fleettap.proto.v1.AdminServiceGrpc;
import org.fleettap.proto.v1.GetStatsRequest;
import org.fleettap.proto.v1.GetStatsResponse;
import org.fleettap.proto.v1.GrpcIngestCounts;
import org.fleettap.proto.v1.KafkaIngestCounts;
import org.fleettap.proto.v1.ListAuditRequest;
import org.fleettap.proto.v1.ListAuditResponse;
import org.fleettap.proto.v1.RefusalCount;

/**
 * AdminService: the audit log and the collector's counts (ingest by reason, Kafka skips, access refusals), so that an
 * admin can ask a running collector what it refused and why without reading its log. The admin role is checked by
 * the access control in front of it.
 */
public final class AdminServiceImpl extends AdminServiceGrpc.AdminServiceImplBase {
    private final AuditLog audit;
    private final Supplier<IngestStats> ingest;
    private final Supplier<KafkaIngestStats> kafka;
    private final Refusals refusals;

    public AdminServiceImpl(AuditLog audit, Supplier<IngestStats> ingest, Supplier<KafkaIngestStats> kafka,
            Refusals refusals) {
        this.audit = Objects.requireNonNull(audit, "audit");
        this.ingest = Objects.requireNonNull(ingest, "ingest");
        this.kafka = Objects.requireNonNull(kafka, "kafka");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
    }

    @Override
    public void listAudit(ListAuditRequest request, StreamObserver<ListAuditResponse> out) {
        Unary.respond("ListAudit", out, () -> audit.list(request));
    }

    @Override
    public void getStats(GetStatsRequest request, StreamObserver<GetStatsResponse> out) {
        Unary.respond("GetStats", out, this::stats);
    }

    GetStatsResponse stats() {
        IngestStats i = ingest.get();
        KafkaIngestStats k = kafka.get();
        GetStatsResponse.Builder b = GetStatsResponse.newBuilder()
                .setGrpcIngest(GrpcIngestCounts.newBuilder().setApplied(i.applied()).setDuplicates(i.duplicates())
                        .setMalformed(i.malformed()).setOversized(i.oversized()).setInvalid(i.invalid())
                        .setForbidden(i.forbidden()).setFailed(i.failed()))
                .setKafka(KafkaIngestCounts.newBuilder().setRecords(k.records()).setApplied(k.applied())
                        .setDuplicates(k.duplicates()).setRejected(k.rejected()).setMalformed(k.malformed())
                        .setOversized(k.oversized()).setFailedWrites(k.failedWrites()));
        for (Map.Entry<Refusals.Key, Long> e : refusals.counts().entrySet()) {
            b.addRefusals(RefusalCount.newBuilder().setService(e.getKey().service())
                    .setReason(e.getKey().reason().word()).setCount(e.getValue()));
        }
        return b.build();
    }
}
