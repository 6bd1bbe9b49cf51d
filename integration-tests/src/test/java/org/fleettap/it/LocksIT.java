package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fleettap locks} as a user runs it: a collector and two agent daemons (hosts h1 and h2, both on this
 * machine, so each sees the same fixture run) as processes, the futex fixture with known contention, and bpftrace
 * on the same futex tracepoint as the oracle for how often each lock was waited for.
 */
class LocksIT {
    private static final Path FUTEX = Fleettap.ROOT.resolve("examples/futex");
    /** A lock's block: "NAME: contended N times, T us in all, A avg us, M max us". */
    private static final Pattern TITLE = Pattern.compile("(.+): contended (\\d+) times, (\\d+) us in all, (\\d+) avg "
            + "us, (\\d+) max us");
    private static final Pattern BY_ADDRESS = Pattern.compile("0x([0-9a-f]+) in pid (\\d+)");

    @TempDir
    Path dir;

    /** One lock as the table shows it: merged figures, and each host's count. */
    record Lock(long count, long total, long avg, long max, Map<String, Long> hosts, long histogramSum) {
    }

    /**
     * The fixture's three initialised mutexes are named by the lines that initialise them, the static one by its
     * symbol, the rest (the main thread's joins) by address and pid; every lock's count on each host equals
     * bpftrace's count of blocking futex calls on its address, and merged is twice that (two hosts). The stored
     * session shows the same again.
     */
    @Test
    void locksAreNamedAndCountedPerHostAndMergedAsBpftraceCountsThem() throws Exception {
        try (LoopbackFleet fleet = new LoopbackFleet(dir)) {
            fleet.collector("collector");
            fleet.agent("agent-h1", "h1");
            fleet.agent("agent-h2", "h2");
            Process locks = fleet.start("locks", "locks", "--collector", fleet.address(), "--process",
                    FUTEX.toString(), "--top", "100", "--interval", "200ms");
            for (String h : List.of("h1", "h2")) {
                Fleettap.waitFor(() -> fleet.out("locks").contains("[" + h + "] tracing lock contention in futex\n"),
                        h + " to arm the session");
            }
            checkLocks(fleet, locks);
        }
    }

    /** Runs the fixture under bpftrace while the session runs, stops the session, and checks what it printed. */
    private void checkLocks(LoopbackFleet fleet, Process locks) throws Exception {
        File bpftraceOut = dir.resolve("bpftrace").toFile();
        Process bpftrace = bpftrace(bpftraceOut);
        Path addresses = dir.resolve("addresses");
        long pid;
        try {
            Process fixture = new ProcessBuilder(FUTEX.toString(), "10", addresses.toString()).start();
            pid = fixture.pid();
            assertThat(fixture.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(fixture.exitValue()).isZero();
        } finally {
            stop(bpftrace);
        }
        Map<Long, Map<Long, Long>> byPid = counts(bpftraceOut);
        assertThat(byPid.keySet()).containsExactly(pid);
        Map<Long, Long> oracle = byPid.get(pid);

        Thread.sleep(1500); // the hosts' last waits reach the collector within a few intervals of 200 ms
        new ProcessBuilder("kill", "-INT", Long.toString(locks.pid())).start().waitFor();
        assertThat(locks.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(locks.exitValue()).as(fleet.err("locks")).isZero();
        // On this shared machine other processes' bursts (a JVM starting maps thousands of files) may overrun the
        // side-band records every session reads (process names, mappings): the run says so, never hides it. The
        // lock figures below must still be exact.
        assertThat(withoutLosses(fleet.err("locks"))).containsExactly("fleettap: 2 of 2 hosts ended the session");

        Map<String, Long> named = named(addresses);
        String run = fleet.out("locks");
        String id = run.lines().findFirst().orElseThrow().substring("session ".length());
        String table = run.substring(run.indexOf("LOCK "));
        Map<String, Lock> shown = parse(table);
        assertThat(shown.keySet()).containsAll(named.keySet());
        Map<Long, Long> counted = new HashMap<>();
        for (Map.Entry<String, Lock> e : shown.entrySet()) {
            Lock l = e.getValue();
            long address;
            if (named.containsKey(e.getKey())) {
                address = named.get(e.getKey());
            } else {
                Matcher m = BY_ADDRESS.matcher(e.getKey());
                assertThat(m.matches()).as(e.getKey()).isTrue();
                assertThat(Long.parseLong(m.group(2))).isEqualTo(pid);
                address = Long.parseUnsignedLong(m.group(1), 16);
            }
            assertThat(l.hosts()).as(e.getKey()).containsOnlyKeys("h1", "h2");
            assertThat(l.hosts().get("h1")).as(e.getKey()).isEqualTo(l.hosts().get("h2"));
            assertThat(l.count()).as(e.getKey()).isEqualTo(2 * l.hosts().get("h1"));
            assertThat(l.histogramSum()).as(e.getKey()).isEqualTo(l.count());
            assertThat(l.avg()).as(e.getKey()).isEqualTo(l.total() / l.count());
            counted.put(address, l.hosts().get("h1"));
        }
        assertThat(counted).isEqualTo(oracle);
        System.out.printf("per host, by address, as bpftrace counted: %s%n", counted);
        for (String lock : named.keySet()) {
            assertThat(counted.get(named.get(lock))).as(lock).isPositive();
        }

        // The stored session, shown again: the same text.
        Fleettap.Result again = Fleettap.run("locks", "--collector", fleet.address(), "--session", id, "--top",
                "100");
        assertThat(withoutLosses(again.stderr())).containsExactly("fleettap: session " + id + ": 2 of 2 hosts ended "
                + "the session");
        assertThat(again.exit()).isZero();
        assertThat(again.stdout()).isEqualTo("session " + id + "\n" + table);
        // Every locks session of the last 10 minutes: this one, all of its windows.
        Fleettap.Result since = Fleettap.run("locks", "--collector", fleet.address(), "--since", "10m", "--top",
                "100");
        assertThat(since.stderr()).isEqualTo(again.stderr());
        assertThat(since.exit()).isZero();
        assertThat(since.stdout()).isEqualTo("session " + id + "\n" + table);
    }

    /**
     * The fixture's locks by the names locks gives them (the init lines for locks[0..2], in the source's order; the
     * symbol for static_lock) and their addresses, as the fixture wrote them to {@code addresses}.
     */
    static Map<String, Long> named(Path addresses) throws java.io.IOException {
        Map<String, Long> named = new HashMap<>();
        List<String> initLines = initLines();
        for (String line : Files.readAllLines(addresses)) {
            String[] f = line.split(" ");
            long address = Long.parseUnsignedLong(f[1].substring(2), 16);
            if (f[0].equals("static_lock")) {
                named.put("static_lock+0x0/0x28 [" + FUTEX + "]", address);
            } else {
                named.put("futex.c:" + initLines.get(Integer.parseInt(f[0].substring(6, 7))), address);
            }
        }
        return named;
    }

    /**
     * bpftrace counting, per pid and address, the futex calls of tasks named futex that block on a lock
     * (FUTEX_WAIT 0, FUTEX_LOCK_PI 6, FUTEX_WAIT_BITSET 9, FUTEX_LOCK_PI2 13, without the PRIVATE and CLOCK flags);
     * returns once it is attached.
     */
    static Process bpftrace(File out) throws Exception {
        // bpftrace prints "Attaching N probes..." before it attaches; its BEGIN probe fires once they are attached (a
        // SIGINT before that is lost, and so would be the fixture's first waits).
        Process bpftrace = new ProcessBuilder("bpftrace", "-e", "BEGIN { printf(\"attached\\n\"); } "
                + "tracepoint:syscalls:sys_enter_futex "
                + "/comm == \"futex\" && ((args->op & 127) == 0 || (args->op & 127) == 6 || (args->op & 127) == 9 "
                + "|| (args->op & 127) == 13)/ { @[pid, args->uaddr] = count(); }").redirectErrorStream(true)
                .redirectOutput(out).start();
        Fleettap.waitFor(() -> Fleettap.read(out).contains("attached\n"), "bpftrace to attach");
        return bpftrace;
    }

    /** Stops bpftrace with SIGINT: it prints its counts. */
    static void stop(Process bpftrace) throws Exception {
        new ProcessBuilder("kill", "-INT", Long.toString(bpftrace.pid())).start().waitFor();
        assertThat(bpftrace.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    /** What bpftrace counted: per pid (the root namespace's), per address. */
    static Map<Long, Map<Long, Long>> counts(File out) {
        Map<Long, Map<Long, Long>> counts = new HashMap<>();
        // bpftrace prints the pointer uaddr in hex
        Matcher bt = Pattern.compile("@\\[(\\d+), 0x([0-9a-f]+)\\]: (\\d+)").matcher(Fleettap.read(out));
        while (bt.find()) {
            counts.computeIfAbsent(Long.parseLong(bt.group(1)), k -> new HashMap<>())
                    .put(Long.parseUnsignedLong(bt.group(2), 16), Long.parseLong(bt.group(3)));
        }
        assertThat(counts).as(Fleettap.read(out)).isNotEmpty();
        return counts;
    }

    /** The lines of {@code stderr} other than the warnings that a host lost events (and the --insecure one). */
    static List<String> withoutLosses(String stderr) {
        return Fleettap.withoutInsecureWarning(stderr).lines().filter(l -> !l.matches("fleettap: warning: h\\d+: \\d+ events lost \\(ring buffers "
                + "full\\)")).toList();
    }

    /** The locks of a table: the summary's rows, then each lock's block with its hosts and its histogram. */
    static Map<String, Lock> parse(String table) {
        List<String> lines = table.lines().toList();
        Map<String, Lock> locks = new LinkedHashMap<>();
        int i = 0;
        while (i < lines.size() && !lines.get(i).isEmpty()) {
            i++; // the summary: checked against the blocks below by the figures they share
        }
        List<String> summary = lines.subList(1, i);
        for (; i < lines.size(); i++) {
            Matcher t = TITLE.matcher(lines.get(i));
            if (!t.matches()) {
                continue;
            }
            assertThat(lines.get(i + 1)).matches("HOST\\s+CONTENDED\\s+TOTAL_US\\s+AVG_US\\s+MAX_US");
            Map<String, Long> hosts = new LinkedHashMap<>();
            int k = i + 2;
            for (; !lines.get(k).strip().startsWith("value |"); k++) { // "value" is right-aligned to the labels
                String[] f = lines.get(k).split("\\s+");
                hosts.put(f[0], Long.parseLong(f[1]));
            }
            long sum = 0;
            for (k++; k < lines.size() && !lines.get(k).isEmpty(); k++) {
                assertThat(lines.get(k)).matches(" *\\d+ \\|@* +\\d+| *~");
                if (!lines.get(k).trim().equals("~")) {
                    sum += Long.parseLong(lines.get(k).substring(lines.get(k).lastIndexOf(' ') + 1));
                }
            }
            String name = t.group(1);
            Lock l = new Lock(Long.parseLong(t.group(2)), Long.parseLong(t.group(3)), Long.parseLong(t.group(4)),
                    Long.parseLong(t.group(5)), hosts, sum);
            assertThat(summary).as(name).anyMatch(row -> row.matches(Pattern.quote(name) + "\\s+" + l.count()
                    + "\\s+" + l.total() + "\\s+" + l.avg() + "\\s+" + l.max() + "\\s+" + hosts.size()));
            locks.put(name, l);
        }
        assertThat(locks).hasSize(summary.size());
        return locks;
    }

    /** The source lines of examples/futex.c that call pthread_mutex_init, in order (locks[0], [1], [2]). */
    static List<String> initLines() throws java.io.IOException {
        List<String> source = Files.readAllLines(Fleettap.ROOT.resolve("examples/futex.c"));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < source.size(); i++) {
            String l = source.get(i).trim();
            if (l.startsWith("pthread_mutex_init(&locks[")) {
                assertThat(l).startsWith("pthread_mutex_init(&locks[" + lines.size() + "]");
                lines.add(Integer.toString(i + 1));
            }
        }
        assertThat(lines).hasSize(3);
        return lines;
    }
}
