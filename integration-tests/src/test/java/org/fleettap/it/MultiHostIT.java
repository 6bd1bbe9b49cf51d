package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6's multi-host tests: three agent hosts, each in its own network namespace (joined to the collector by a
 * veth pair) and its own PID namespace, on one machine ({@link MultiHostFleet}). Every host runs the same loop
 * fixture binary — uprobes on it fire for every process on the machine — with a different known number of calls,
 * and the figures per host and merged are exact: no host counts another host's calls, nor the calls of a process
 * outside every host. One fleet serves every case; a case that kills an agent leaves it to {@link #agentsUp} to
 * start it again.
 */
class MultiHostIT {
    /** Calls of f() each host makes: h1, h2, h3. */
    private static final long[] CALLS = {1000, 2000, 3000};
    private static final String COUNT_SCRIPT = "global calls\n"
            + "probe begin { println(\"armed\") }\n"
            + "probe process(\"loop\").function(\"f\") { calls++ }\n"
            + "probe end { printf(\"calls %d\\n\", calls) }\n";

    @TempDir
    static Path dir;
    private static MultiHostFleet fleet;
    private static List<MultiHostFleet.Host> hosts;
    private String prefix;

    @BeforeAll
    static void startFleet() throws Exception {
        // A host is lost after 3 s without contact (the default is 30 s).
        fleet = MultiHostFleet.start(dir, 3, "--host-lost-after", "3s");
        hosts = fleet.hosts();
    }

    @AfterAll
    static void removeFleet() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @BeforeEach
    void agentsUp(TestInfo test) throws Exception {
        fleet.ensureAgents();
        prefix = test.getTestMethod().orElseThrow().getName();
    }

    /**
     * Deploys the count script as a file with {@code fleettap run --collector --hosts SELECTOR FILE} (command {@code
     * run}); returns its session once every host armed it.
     */
    private String startCountScript(String run) throws Exception {
        Path script = dir.resolve(prefix + ".stp");
        Files.writeString(script, COUNT_SCRIPT);
        fleet.cli(run, "run", "--hosts", fleet.selector(), script.toString());
        String session = fleet.sessionOf(run);
        fleet.awaitEveryHost(run, "armed");
        return session;
    }

    /** A count script deployed with `fleettap run --collector --hosts`: per-host lines, per-host and merged sums. */
    @Test
    void aDeployedScriptCountsEachHostsOwnCallsExactly() throws Exception {
        String run = prefix + "-run";
        String session = startCountScript(run);
        // Outside every host, in the root namespaces: the same binary, so the same uprobe fires; no host may count it.
        Process outside = new ProcessBuilder(MultiHostFleet.FIXTURES.resolve("loop").toString(), "777").start();
        for (int i = 0; i < hosts.size(); i++) {
            hosts.get(i).run("loop", Long.toString(CALLS[i]));
        }
        assertThat(outside.waitFor(60, TimeUnit.SECONDS)).isTrue();
        fleet.awaitSums(session, "calls", Map.of("h1", 1000L, "h2", 2000L, "h3", 3000L));

        assertThat(fleet.stop(run)).as(fleet.err(run)).isZero();
        List<String> out = fleet.out(run).lines().toList();
        assertThat(out).contains("[h1] calls 1000", "[h2] calls 2000", "[h3] calls 3000");
        assertThat(out.get(out.size() - 1)).isEqualTo("calls=0x1770"); // 6000, merged by the collector
        assertThat(Fleettap.withoutInsecureWarning(fleet.err(run))).doesNotContain("lost").doesNotContain("warning");
        assertThat(fleet.sumsByHost(session, "calls")).isEqualTo(Map.of("h1", 1000L, "h2", 2000L, "h3", 3000L));
    }

    /** `fleettap latency` on every host: per-host and merged call counts exact, quantiles present and ordered. */
    @Test
    void latencyTimesEveryCallOfEachHostAndMergesThem() throws Exception {
        String latency = prefix + "-latency";
        fleet.cli(latency, "latency", "--process", "loop", "--function", "f", "--hosts", fleet.selector(),
                "--duration", "10s");
        fleet.sessionOf(latency);
        fleet.awaitEveryHost(latency, "timing f in loop");
        Process outside = new ProcessBuilder(MultiHostFleet.FIXTURES.resolve("loop").toString(), "777").start();
        for (int i = 0; i < hosts.size(); i++) {
            hosts.get(i).run("loop", Long.toString(CALLS[i]));
        }
        assertThat(outside.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(fleet.awaitExit(latency, Duration.ofSeconds(90))).as(fleet.err(latency)).isZero();

        Map<String, long[]> total = latencyTotals(fleet.out(latency), "f");
        assertThat(total.keySet()).as(fleet.out(latency)).containsExactly("h1", "h2", "h3", "*");
        assertThat(total.get("h1")[0]).isEqualTo(1000);
        assertThat(total.get("h2")[0]).isEqualTo(2000);
        assertThat(total.get("h3")[0]).isEqualTo(3000);
        assertThat(total.get("*")[0]).isEqualTo(6000);
        for (Map.Entry<String, long[]> row : total.entrySet()) {
            long[] v = row.getValue(); // count, p50, p90, p99, max
            assertThat(v[1]).as(row.getKey() + " p50").isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(v[2]);
            assertThat(v[2]).as(row.getKey() + " p90").isLessThanOrEqualTo(v[3]);
            assertThat(v[3]).as(row.getKey() + " p99").isLessThanOrEqualTo(v[4]);
        }
        long maxOfHosts = Math.max(total.get("h1")[4], Math.max(total.get("h2")[4], total.get("h3")[4]));
        assertThat(total.get("*")[4]).as("the merged max is the largest host's").isEqualTo(maxOfHosts);
        assertThat(Fleettap.withoutInsecureWarning(fleet.err(latency))).doesNotContain("warning")
                .doesNotContain("lost");
        assertThat(fleet.err(latency).lines().toList()).last().isEqualTo("fleettap: 3 of 3 hosts ended the session");
    }

    /**
     * `fleettap latency` flags a call "well over max" as the talk's fntimes.stp does, on the host that made it: h2
     * runs gis_server 110 times on small requests (the training: 100 samples at least), then once on a request about
     * a thousand times the largest. The big call is reported by h2 and by no other host; every report (a training
     * run stalled by a busy machine may be one) keeps the rule: at least 2.5 times the maximum before it. The
     * session's totals count the 111 calls exactly.
     */
    @Test
    void latencyFlagsACallWellOverItsTrainedMaximumOnItsHost() throws Exception {
        String latency = prefix + "-latency";
        fleet.cli(latency, "latency", "--process", "gis_server", "--function", "cairo_render_path", "--hosts",
                fleet.selector(), "--follow", "--min-samples", "100", "--over-percent", "250");
        fleet.sessionOf(latency);
        fleet.awaitEveryHost(latency, "timing cairo_render_path in gis_server");
        assertThat(hosts.get(1).run("sh", "-c", "for i in $(seq 1 110); do gis_server $i >/dev/null || exit 1; done; "
                + "gis_server 100000 >/dev/null")).isZero();
        Pattern report = Pattern.compile("\\[(h\\d)\\] function cairo_render_path well over max time \\((\\d+) vs "
                + "(\\d+)\\)");
        fleet.await(() -> report.matcher(fleet.out(latency)).find(), "h2's report", Duration.ofSeconds(30));
        assertThat(fleet.stop(latency)).as(fleet.err(latency)).isZero();
        List<java.util.regex.MatchResult> reports = report.matcher(fleet.out(latency)).results().toList();
        assertThat(reports).isNotEmpty().allSatisfy(m -> {
            assertThat(m.group(1)).isEqualTo("h2");
            assertThat(Long.parseLong(m.group(2)) * 100).isGreaterThanOrEqualTo(Long.parseLong(m.group(3)) * 250);
        });
        Map<String, long[]> total = latencyTotals(fleet.out(latency), "cairo_render_path");
        assertThat(total.keySet()).containsExactly("h2", "*");
        assertThat(total.get("h2")[0]).isEqualTo(111);
        assertThat(total.get("*")[0]).isEqualTo(111);
    }

    /**
     * The "session total" table latency prints at the end: per HOST (and "*" merged) the {@code function} row's COUNT,
     * P50_US, P90_US, P99_US, MAX_US.
     */
    private static Map<String, long[]> latencyTotals(String out, String function) {
        List<String> lines = out.lines().toList();
        int at = lines.lastIndexOf("session total");
        assertThat(at).as("a session total in\n" + out).isNotNegative();
        assertThat(lines.get(at + 1).split("\\s+")).containsExactly("HOST", "FUNCTION", "COUNT", "P50_US", "P90_US",
                "P99_US", "MAX_US");
        Map<String, long[]> rows = new java.util.LinkedHashMap<>();
        for (String line : lines.subList(at + 2, lines.size())) {
            String[] f = line.strip().split("\\s+");
            if (f.length != 7 || !f[1].equals(function)) {
                break;
            }
            rows.put(f[0], new long[] {Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                    Long.parseLong(f[5]), Long.parseLong(f[6])});
        }
        return rows;
    }

    /**
     * h3's agent is SIGKILLed mid-session after its 3000 calls reached the collector: they are kept, h3 is marked lost
     * (in the session's states and in the run's last line), and h1 and h2 go on counting exactly.
     */
    @Test
    void aHostKilledMidSessionKeepsWhatItExportedAndIsMarkedLost() throws Exception {
        String run = prefix + "-run";
        String session = startCountScript(run);
        MultiHostFleet.Host h1 = hosts.get(0);
        MultiHostFleet.Host h2 = hosts.get(1);
        MultiHostFleet.Host h3 = hosts.get(2);
        h3.run("loop", "3000");
        h1.run("loop", "1000");
        fleet.awaitSums(session, "calls", Map.of("h1", 1000L, "h3", 3000L));

        h3.killAgent();
        h1.run("loop", "1000");
        h2.run("loop", "2000");
        h3.run("loop", "500"); // nobody counts these: h3's agent is gone
        fleet.await(() -> fleet.err(run).contains("fleettap: warning: h3 lost ("), "the run to report h3 lost",
                Duration.ofSeconds(30));
        assertThat(fleet.polledStates(session)).isEqualTo(Map.of("h1", "RUNNING", "h2", "RUNNING", "h3", "LOST"));
        fleet.awaitSums(session, "calls", Map.of("h1", 2000L, "h2", 2000L, "h3", 3000L));

        assertThat(fleet.stop(run)).as(fleet.err(run)).isZero();
        List<String> out = fleet.out(run).lines().toList();
        assertThat(out).contains("[h1] calls 2000", "[h2] calls 2000").noneMatch(l -> l.startsWith("[h3] calls"));
        assertThat(out.get(out.size() - 1)).isEqualTo("calls=0x1b58"); // 7000: h3's 3000 are kept
        assertThat(fleet.err(run).lines().toList()).last().isEqualTo("fleettap: 2 of 3 hosts ended the session; "
                + "lost: h3");
        assertThat(fleet.sessionStates(session)).isEqualTo(Map.of("h1", "STOPPED", "h2", "STOPPED", "h3", "LOST"));
        assertThat(fleet.sumsByHost(session, "calls")).isEqualTo(Map.of("h1", 2000L, "h2", 2000L, "h3", 3000L));
    }

    /**
     * Kernel counters count a probe's hits in every process on the machine and cannot tell namespaces apart: inside
     * a host, counting every process is refused with one line (sampling, which drops other hosts' events, is what
     * the agent does).
     */
    @Test
    void countingEveryProcessFromInsideAHostIsRefused() {
        Fleettap.Result r = hosts.get(0).fleettap("count", "process(\"loop\").function(\"f\")", "--duration", "1s");
        assertThat(r.exit()).as(r.stderr()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).matches("fleettap: counting process\\(\"" + Pattern.quote(MultiHostFleet.FIXTURES
                .resolve("loop").toString()) + "\"\\)\\.function\\(\"f\"\\) @0x[0-9a-f]+ on every process from a child "
                + "PID namespace would count the processes of other namespaces too; sample the hits instead\n");
    }
}
