package org.fleettap.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.fleettap.agent.script.Source;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.AggregateRow;
import org.fleettap.proto.v1.GroupBy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fleettap profile}: who is stealing my core, on every matching host. A session samples every CPU
 * ({@code timer.profile}) and counts, per thread, the samples it was running on each CPU; at the end each host's
 * busiest threads are printed with the share of their samples on each CPU — the talk's proc_cpu_thread.stp table, for
 * any number of CPUs and hosts.
 */
@Command(name = "profile", mixinStandardHelpOptions = true,
        description = "Sample every CPU of every matching host and print, per host, the busiest threads and the share "
                + "of each one's samples on each CPU.")
final class ProfileCommand implements Callable<Integer> {
    static final String STATISTIC = "on_cpu";
    static final String SCRIPT = "global " + STATISTIC + "\n"
            + "probe begin { printf(\"profiling\\n\") }\n"
            + "probe timer.profile {\n"
            + "  if (tid() != 0) " + STATISTIC + "[tid(), pid2execname(pid()), execname(), cpu()] <<< 1\n"
            + "}\n";

    @Mixin
    CollectorOptions collector;

    @Mixin
    HostsOption hosts;

    @Option(names = "--duration", paramLabel = "DUR", defaultValue = "10s",
            description = "How long to sample (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--top", paramLabel = "N", defaultValue = "10",
            description = "The N threads with the most samples on each host (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "-o", paramLabel = "FORMAT", defaultValue = "table", converter = OutputFormat.Converter.class,
            description = "table, csv (HOST,TID,PROCESS,TASK,CPU,SAMPLES: a row per thread and CPU) or json (the "
                    + "collector's answer: every thread, key tid, process, task, cpu). With json and csv the session "
                    + "line and the hosts' lines go to stderr.")
    OutputFormat format;

    @Override
    public Integer call() throws Exception {
        if (top <= 0) {
            throw new UserErrors.UsageException("--top must be more than 0");
        }
        Duration limit = Durations.parse(duration);
        if (limit.isZero()) {
            throw new UserErrors.UsageException("--duration must be more than 0");
        }
        PrintStream out = System.out;
        return FleetRun.runScript(collector, new Source("profile", SCRIPT), hosts.selector(), limit, null,
                client -> FleetRun.forCommand(client, format).summary(id -> {
                    AggregateQuery q = AggregateQuery.newBuilder().setSessionId(id).setName(STATISTIC)
                            .setGroupBy(GroupBy.GROUP_BY_HOST_AND_KEY).build();
                    AggregateQueryResponse r = client.call("QueryAggregates", () -> client.query()
                            .queryAggregates(q));
                    out.print(switch (format) {
                        case TABLE -> render(r.getRowsList(), top);
                        case CSV -> csv(r.getRowsList(), top);
                        case JSON -> OutputFormat.json(r);
                    });
                    out.flush();
                }));
    }

    /** One thread's samples per CPU. */
    private record Thread(long tid, String process, String task, Map<Integer, Long> perCpu) {
        long samples() {
            return perCpu.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** A host's threads, busiest first, and its number of CPUs (the highest CPU sampled, plus one). */
    private record HostThreads(String host, int cpus, List<Thread> threads) {
        long samples() {
            return threads.stream().mapToLong(Thread::samples).sum();
        }
    }

    /** The rows (key tid, process, task, cpu) per host, in host order. */
    private static List<HostThreads> byHost(List<AggregateRow> rows) {
        Map<String, Map<Long, Thread>> byHost = new TreeMap<>();
        Map<String, Integer> cpus = new TreeMap<>();
        for (AggregateRow r : rows) {
            long tid = r.getKey(0).getIntValue();
            int cpu = (int) r.getKey(3).getIntValue();
            Thread t = byHost.computeIfAbsent(r.getHostId(), h -> new LinkedHashMap<>()).computeIfAbsent(tid,
                    k -> new Thread(tid, r.getKey(1).getStringValue(), r.getKey(2).getStringValue(), new TreeMap<>()));
            t.perCpu().merge(cpu, r.getStats().getCount(), Long::sum);
            cpus.merge(r.getHostId(), cpu + 1, Math::max);
        }
        List<HostThreads> hosts = new ArrayList<>();
        byHost.forEach((host, threads) -> {
            List<Thread> sorted = new ArrayList<>(threads.values());
            sorted.sort(Comparator.comparingLong(Thread::samples).reversed().thenComparingLong(Thread::tid));
            hosts.add(new HostThreads(host, cpus.get(host), sorted));
        });
        return hosts;
    }

    /**
     * Per host (in host order): a title line, then its {@code top} busiest threads with their share on each CPU
     * ({@code 99.5%}, of the thread's own samples, as the talk prints it).
     */
    static String render(List<AggregateRow> rows, int top) {
        StringBuilder b = new StringBuilder();
        for (HostThreads host : byHost(rows)) {
            int n = host.cpus();
            List<String> header = new ArrayList<>(List.of("TID", "PROCESS", "TASK", "SAMPLES"));
            boolean[] numeric = new boolean[4 + n];
            numeric[0] = true;
            numeric[3] = true;
            for (int cpu = 0; cpu < n; cpu++) {
                header.add("CPU" + cpu);
                numeric[4 + cpu] = true;
            }
            Table t = new Table(header, numeric);
            List<Thread> threads = host.threads();
            for (Thread th : threads.subList(0, Math.min(top, threads.size()))) {
                List<String> row = new ArrayList<>(List.of(Long.toString(th.tid()), th.process(), th.task(),
                        Long.toString(th.samples())));
                for (int cpu = 0; cpu < n; cpu++) {
                    row.add(percent(th.perCpu().getOrDefault(cpu, 0L), th.samples()));
                }
                t.add(row);
            }
            b.append(host.host()).append(": ").append(host.samples()).append(" samples of ").append(threads.size())
                    .append(" threads on ").append(n).append(" CPUs").append(threads.size() > top ? ", top "
                    + top : "").append('\n').append(t.render());
        }
        return b.toString();
    }

    /**
     * The same threads as CSV, one row per thread and CPU of its host (hosts may have different numbers of CPUs):
     * HOST, TID, PROCESS, TASK, CPU, SAMPLES (the thread's samples on that CPU; its share is that over the sum of
     * its rows).
     */
    static String csv(List<AggregateRow> rows, int top) {
        Table t = new Table(List.of("HOST", "TID", "PROCESS", "TASK", "CPU", "SAMPLES"), false, true, false, false,
                true, true);
        for (HostThreads host : byHost(rows)) {
            List<Thread> threads = host.threads();
            for (Thread th : threads.subList(0, Math.min(top, threads.size()))) {
                for (int cpu = 0; cpu < host.cpus(); cpu++) {
                    t.add(List.of(host.host(), Long.toString(th.tid()), th.process(), th.task(), Integer.toString(cpu),
                            Long.toString(th.perCpu().getOrDefault(cpu, 0L))));
                }
            }
        }
        return t.csv();
    }

    /** {@code n} of {@code total} as the talk prints it: one decimal, truncated ("99.5%"). */
    static String percent(long n, long total) {
        if (total == 0) {
            return "0.0%";
        }
        return n * 100 / total + "." + (n * 1000 / total) % 10 + "%";
    }
}
