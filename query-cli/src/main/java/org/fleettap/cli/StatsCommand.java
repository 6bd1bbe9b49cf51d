package org.fleettap.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.fleettap.proto.v1.GetStatsRequest;
import org.fleettap.proto.v1.GetStatsResponse;
import org.fleettap.proto.v1.GrpcIngestCounts;
import org.fleettap.proto.v1.KafkaIngestCounts;
import org.fleettap.proto.v1.RefusalCount;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fleettap stats}: what a collector did since it started (AdminService.GetStats, admin role): batches applied
 * and refused by reason over gRPC and Kafka, and the calls its access checks refused by service and reason.
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Show the collector's counts since it started: ingest (gRPC, Kafka) by outcome and reason, "
                + "and refused calls by service and reason. Needs the admin role.")
final class StatsCommand implements Callable<Integer> {

    @Mixin
    CollectorOptions collector;

    @Option(names = "-o", paramLabel = "FORMAT", defaultValue = "table", converter = OutputFormat.Converter.class,
            description = "table or json.")
    OutputFormat format;

    @Override
    public Integer call() throws Exception {
        if (collector.local()) {
            throw new UserErrors.UsageException("stats: give --collector HOST:PORT");
        }
        if (format == OutputFormat.CSV) {
            throw new UserErrors.UsageException("stats: -o csv is not offered (table or json)");
        }
        try (CollectorClient client = collector.connect()) {
            GetStatsResponse r = client.call("GetStats", () -> client.admin()
                    .getStats(GetStatsRequest.getDefaultInstance()));
            System.out.print(format == OutputFormat.JSON ? OutputFormat.json(r) : table(r));
            return 0;
        }
    }

    static String table(GetStatsResponse r) {
        Table t = new Table(List.of("SOURCE", "COUNTER", "COUNT"), false, false, true);
        GrpcIngestCounts g = r.getGrpcIngest();
        String grpc = "grpc ingest";
        t.add(row(grpc, "applied", g.getApplied())).add(row(grpc, "duplicates", g.getDuplicates()))
                .add(row(grpc, "malformed", g.getMalformed())).add(row(grpc, "oversized", g.getOversized()))
                .add(row(grpc, "invalid", g.getInvalid())).add(row(grpc, "forbidden", g.getForbidden()))
                .add(row(grpc, "failed", g.getFailed()));
        KafkaIngestCounts k = r.getKafka();
        String kafka = "kafka ingest";
        t.add(row(kafka, "records", k.getRecords())).add(row(kafka, "applied", k.getApplied()))
                .add(row(kafka, "duplicates", k.getDuplicates())).add(row(kafka, "rejected", k.getRejected()))
                .add(row(kafka, "malformed", k.getMalformed())).add(row(kafka, "oversized", k.getOversized()))
                .add(row(kafka, "failed writes", k.getFailedWrites()));
        for (RefusalCount c : r.getRefusalsList()) {
            t.add(row("refused " + c.getService(), c.getReason(), c.getCount()));
        }
        return t.render(OutputFormat.TABLE);
    }

    private static List<String> row(String source, String counter, long count) {
        return List.of(source, counter, Long.toUnsignedString(count));
    }
}
