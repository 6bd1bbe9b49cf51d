package org.fleettap.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.fleettap.collector.Collector;
import org.fleettap.collector.CollectorConfig;
import org.fleettap.collector.store.AggregateQuery;
import org.fleettap.collector.store.Row;
import org.fleettap.proto.v1.GroupBy;

/**
 * A real collector in its own JVM for {@link ExportCpuBench}, so that its CPU is not the agent's: listens on a free
 * loopback port with its store in {@code args[0]}, prints {@code port N}, and runs until its standard input ends.
 * Then, for each of the session and statistic names {@code args[1]}, {@code args[2]}, it prints {@code count C
 * keys K} (merged over every window and host), and closes.
 */
public final class BenchCollector {
    private BenchCollector() {
    }

    public static void main(String[] args) throws Exception {
        try (Collector c = new Collector(CollectorConfig.of("127.0.0.1", 0, Path.of(args[0]))).start()) {
            System.out.println("port " + c.port());
            System.out.flush();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                while (in.readLine() != null) {
                    // runs until the parent closes our input
                }
            }
            long count = 0;
            int keys = 0;
            for (Row r : c.store().aggregates(AggregateQuery.of(args[1], args[2])
                    .withGroupBy(GroupBy.GROUP_BY_KEY)).rows()) {
                count += r.summary().count();
                keys++;
            }
            System.out.println("count " + count + " keys " + keys);
            System.out.flush();
        }
    }
}
