package org.fleettap.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.fleettap.agent.transport.GrpcTransport;
import org.fleettap.agent.transport.Spool;
import org.fleettap.agent.transport.SpoolConfig;
import org.fleettap.agent.transport.TransportSettings;
import org.fleettap.agent.transport.TransportStats;
import org.fleettap.collector.Collector;
import org.fleettap.collector.CollectorConfig;
import org.fleettap.collector.ingest.IngestSettings;
import org.fleettap.collector.ingest.IngestStats;
import org.fleettap.collector.store.StoreOptions;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;

/**
 * Collector ingest through gRPC, end to end: the fleet of {@link StoreIngestBenchmark} (100 hosts x 100 keys, one
 * batch per host per second) sent by the agent's own {@link GrpcTransport}s (each through its spool, with its window
 * of unacknowledged batches) over loopback to a real {@link Collector} (IngestService, one writer with group commit,
 * RocksDB store with rollups), timed from the first submit until the collector has applied every batch; each
 * repetition with a fresh collector and store, and checked: exactly the batches sent applied, once each.
 *
 * <p>The transports run in this JVM ({@code -Dsenders=jvm}, the default), or in a child JVM per repetition
 * ({@code -Dsenders=process}, optionally pinned with {@code -Dsenders.cpus=LIST}, taskset's CPU list), so that this
 * process's CPU time is the collector's alone. Each repetition prints the CPU seconds this process (and the child)
 * used while it ran: CPU per update is steadier than wall time on a shared machine.
 *
 * <p>{@code java -Dseconds=60 -Dreps=3 -Dtransports=4 [-Dsenders=process] -cp bench/target/benchmarks.jar
 * org.fleettap.bench.GrpcIngestBench}
 */
public final class GrpcIngestBench {
    private static final int HOSTS = StoreIngestBenchmark.HOSTS;
    private static final int KEYS = StoreIngestBenchmark.KEYS;
    private static final Duration DEADLINE = Duration.ofMinutes(10);

    private final int seconds = Integer.getInteger("seconds", 60);
    private final int reps = Integer.getInteger("reps", 3);
    private final int transports = Integer.getInteger("transports", 4);
    private final boolean rollup = Boolean.parseBoolean(System.getProperty("rollup", "true"));
    private final String senders = System.getProperty("senders", "jvm");
    private final int group = Integer.getInteger("group", IngestSettings.DEFAULT_GROUP_BATCHES);
    private final String sendersCpus = System.getProperty("senders.cpus", "");
    private final Path work;
    private final List<List<AggregateDelta>> deltas = new ArrayList<>();
    /** The threads {@link #send} started, submitting the fleet's batches. */
    private final List<Thread> submitters = new ArrayList<>();

    private GrpcIngestBench(Path work) {
        this.work = work;
        for (int h = 0; h < HOSTS; h++) {
            deltas.add(StoreFixtures.deltas(KEYS, h));
        }
    }

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("grpc-ingest-bench");
        try {
            new GrpcIngestBench(work).run();
        } finally {
            StoreFixtures.delete(work);
        }
    }

    /** The senders of one repetition in a child JVM: {@code args} are the collector's address and a directory. */
    public static final class Senders {
        private Senders() {
        }

        public static void main(String[] args) throws Exception {
            GrpcIngestBench bench = new GrpcIngestBench(Path.of(args[1]));
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            System.out.println("ready");
            System.out.flush();
            if (!"go".equals(in.readLine())) {
                throw new IllegalStateException("expected go");
            }
            List<GrpcTransport> ts = bench.send(Path.of(args[1]), args[0]);
            for (Thread t : bench.submitters) {
                t.join();
            }
            bench.closeAll(ts);
            System.out.println("done " + processCpuNanos());
            System.out.flush();
        }
    }

    private void run() throws Exception {
        long total = (long) seconds * HOSTS;
        System.out.printf("gRPC ingest: %d hosts x %d keys, %d s of the fleet = %d batches = %d updates (%d bytes per"
                        + " batch); %d transports in %s; rollup %s; %d CPUs%n", HOSTS, KEYS, seconds, total,
                total * KEYS, batch(0, 1).getSerializedSize(), transports,
                senders.equals("process") ? "a child JVM" + (sendersCpus.isEmpty() ? "" : " on CPUs " + sendersCpus)
                        : "this JVM", rollup, Runtime.getRuntime().availableProcessors());
        for (int r = 1; r <= reps; r++) {
            Path dir = Files.createTempDirectory(work, "rep-" + r);
            Collector collector = new Collector(CollectorConfig.of("127.0.0.1", 0, dir.resolve("store"))
                    .withStore(StoreOptions.defaults().withRollup(rollup))
                    .withIngest(IngestSettings.defaults().withGroup(group, IngestSettings.DEFAULT_GROUP_BYTES))).start();
            Process child = null;
            try {
                String address = "127.0.0.1:" + collector.port();
                BufferedReader childOut = null;
                if (senders.equals("process")) {
                    child = startSenders(address, dir);
                    childOut = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                    expectLine(childOut, "ready");
                }
                long cpu0 = processCpuNanos();
                long start = System.nanoTime();
                List<GrpcTransport> ts = List.of();
                if (child != null) {
                    OutputStream go = child.getOutputStream();
                    go.write("go\n".getBytes(StandardCharsets.UTF_8));
                    go.flush();
                } else {
                    ts = send(dir, address);
                }
                IngestStats s = collector.ingestStats();
                long deadline = start + DEADLINE.toNanos();
                while (s.applied() + s.duplicates() + s.rejected() + s.failed() < total) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("not every batch applied within " + DEADLINE + ": " + s);
                    }
                    Thread.sleep(1);
                    s = collector.ingestStats();
                }
                long nanos = System.nanoTime() - start;
                double cpu = (processCpuNanos() - cpu0) / 1e9;
                closeAll(ts);
                double childCpu = 0;
                if (child != null) {
                    String done = childOut.readLine();
                    if (done == null || !done.startsWith("done ")) {
                        throw new IllegalStateException("the senders' JVM said " + done + ", expected done");
                    }
                    childCpu = Long.parseLong(done.substring("done ".length())) / 1e9;
                    if (child.waitFor() != 0) {
                        throw new IllegalStateException("the senders' JVM exited with " + child.exitValue());
                    }
                }
                if (s.applied() != total || s.duplicates() + s.rejected() + s.failed() != 0) {
                    throw new IllegalStateException("expected exactly " + total + " batches applied: " + s);
                }
                for (int h = 0; h < HOSTS; h++) {
                    long last = collector.store().appliedSequence(StoreFixtures.host(h), StoreFixtures.SESSION)
                            .orElse(0);
                    if (last != seconds) {
                        throw new IllegalStateException(StoreFixtures.host(h) + " applied up to " + last);
                    }
                }
                System.out.printf("repetition %d: %d batches in %.2f s: %,.0f updates/s; CPU %.2f s in this JVM%s%n",
                        r, total, nanos / 1e9, total * (double) KEYS / (nanos / 1e9), cpu,
                        child == null ? "" : String.format(" (the collector), %.2f s in the senders' JVM (its whole"
                                + " life)", childCpu));
            } finally {
                if (child != null) {
                    child.destroy();
                }
                collector.close();
                StoreFixtures.delete(dir);
            }
        }
    }

    private Process startSenders(String address, Path dir) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (!sendersCpus.isEmpty()) {
            cmd.addAll(List.of("taskset", "-c", sendersCpus));
        }
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dseconds=" + seconds, "-Dtransports=" + transports,
                "-cp", System.getProperty("java.class.path"), Senders.class.getName(), address, dir.toString()));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static void expectLine(BufferedReader in, String expected) throws Exception {
        String line = in.readLine();
        if (!expected.equals(line)) {
            throw new IllegalStateException("the senders' JVM said " + line + ", expected " + expected);
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Waits until the transports delivered everything, checks they dropped nothing, and closes them. */
    private void closeAll(List<GrpcTransport> ts) {
        for (GrpcTransport t : ts) {
            t.flush(DEADLINE);
            TransportStats ts1 = t.stats();
            if (ts1.intakeDropped() + ts1.rejected() != 0) {
                throw new IllegalStateException("a transport dropped batches: " + ts1);
            }
            t.close();
        }
    }

    /** Starts the transports submitting the fleet's seconds, each every transports-th host, as fast as they take. */
    private List<GrpcTransport> send(Path dir, String address) throws Exception {
        int perTransport = seconds * ((HOSTS + transports - 1) / transports);
        TransportSettings settings = TransportSettings.defaults().withIntakeCapacity(perTransport);
        List<GrpcTransport> ts = new ArrayList<>();
        for (int p = 0; p < transports; p++) {
            ts.add(GrpcTransport.connect(address, Spool.open(SpoolConfig.of(dir.resolve("spool-" + p), 1L << 30)),
                    settings));
        }
        for (int p = 0; p < transports; p++) {
            GrpcTransport t = ts.get(p);
            int first = p;
            Thread submitter = new Thread(() -> {
                for (long s = 1; s <= seconds; s++) {
                    for (int h = first; h < HOSTS; h += transports) {
                        t.submit(batch(h, s));
                    }
                }
            }, "bench-submit-" + p);
            submitter.start();
            submitters.add(submitter);
        }
        return ts;
    }

    private Batch batch(int host, long second) {
        return StoreFixtures.batch(host, second, StoreFixtures.T0 + (second - 1) * StoreFixtures.SECOND,
                deltas.get(host));
    }
}
