package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fleettap locks} on three hosts, each in its own network and PID namespace ({@link MultiHostFleet}): every
 * host runs the futex fixture with its own number of rounds, and a fourth run outside every host must count nowhere.
 * Each host's figure for each named lock equals bpftrace's count for that host's process, and the merged figure is
 * their sum.
 */
class MultiHostLocksIT {
    private static final String[] ROUNDS = {"4", "8", "12"};

    @TempDir
    static Path dir;
    private static MultiHostFleet fleet;

    @BeforeAll
    static void startFleet() throws Exception {
        fleet = MultiHostFleet.start(dir, 3);
    }

    @AfterAll
    static void removeFleet() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void eachHostsLocksAreCountedOnItsHostAndMergedAcrossHosts() throws Exception {
        List<MultiHostFleet.Host> hosts = fleet.hosts();
        fleet.cli("locks", "locks", "--process", "futex", "--hosts", fleet.selector(), "--top", "100",
                "--interval", "200ms");
        String session = fleet.sessionOf("locks");
        fleet.awaitEveryHost("locks", "tracing lock contention in futex");

        File bpftraceOut = dir.resolve("bpftrace").toFile();
        Process bpftrace = LocksIT.bpftrace(bpftraceOut);
        Map<String, Map<String, Long>> namedByHost = new HashMap<>();
        Path outsideAddresses = dir.resolve("addresses-outside");
        try {
            Process outside = new ProcessBuilder(MultiHostFleet.EXAMPLES.resolve("futex").toString(), "6",
                    outsideAddresses.toString()).start();
            for (int i = 0; i < hosts.size(); i++) {
                Path addresses = dir.resolve("addresses-" + hosts.get(i).name());
                assertThat(hosts.get(i).run("futex", ROUNDS[i], addresses.toString())).isZero();
                namedByHost.put(hosts.get(i).name(), LocksIT.named(addresses));
            }
            assertThat(outside.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            LocksIT.stop(bpftrace);
        }
        // Each process's counts, told apart by where its mutexes are (each process has its own addresses).
        Map<Long, Map<Long, Long>> byPid = LocksIT.counts(bpftraceOut);
        assertThat(byPid).hasSize(4);
        long outsideLock0 = LocksIT.named(outsideAddresses).values().iterator().next();

        Thread.sleep(1500); // the hosts' last waits reach the collector within a few intervals of 200 ms
        assertThat(fleet.stop("locks")).as(fleet.err("locks")).isZero();
        assertThat(LocksIT.withoutLosses(fleet.err("locks"))).containsExactly("fleettap: 3 of 3 hosts ended the "
                + "session");
        String out = fleet.out("locks");
        assertThat(out).startsWith("session " + session + "\n");
        Map<String, LocksIT.Lock> shown = LocksIT.parse(out.substring(out.indexOf("LOCK ")));

        for (String lock : namedByHost.get("h1").keySet()) {
            LocksIT.Lock l = shown.get(lock);
            assertThat(l).as(lock + " in\n" + out).isNotNull();
            assertThat(l.hosts()).as(lock).containsOnlyKeys("h1", "h2", "h3");
            long sum = 0;
            for (String host : List.of("h1", "h2", "h3")) {
                long address = namedByHost.get(host).get(lock);
                Map<Long, Long> process = byPid.values().stream().filter(c -> c.containsKey(address)
                        && !c.containsKey(outsideLock0)).findFirst().orElseThrow();
                assertThat(l.hosts().get(host)).as(lock + " on " + host).isEqualTo(process.get(address));
                sum += process.get(address);
            }
            assertThat(l.count()).as(lock + " merged").isEqualTo(sum);
            System.out.printf("%s: %s merged %d, as bpftrace counted%n", lock, l.hosts(), l.count());
            assertThat(l.histogramSum()).as(lock).isEqualTo(l.count());
        }
    }
}
