package org.fleettap.testing.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A broker does not outlive a test JVM that is killed with SIGKILL (no close, no shutdown hook). */
class OrphanedBrokerTest {

    static final Duration ORPHAN_TIMEOUT = Duration.ofSeconds(10);

    /** The test JVM to kill: starts a broker, prints its pid, and waits. */
    public static void main(String[] args) throws InterruptedException {
        KafkaBroker broker = KafkaBroker.start(Path.of(args[0]));
        System.out.println("broker pid " + broker.pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    @Test
    void brokerHaltsWhenItsTestJvmIsKilled(@TempDir Path dir) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process testJvm = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                        OrphanedBrokerTest.class.getName(), dir.toString()))
                .redirectError(dir.resolve("test-jvm.err").toFile())
                .start();
        long brokerPid;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(testJvm.getInputStream(), UTF_8))) {
            String line = out.readLine();
            assertThat(line).as("first line of the test JVM; its stderr: %s",
                    Files.exists(dir.resolve("test-jvm.err")) ? Files.readString(dir.resolve("test-jvm.err")) : "")
                    .startsWith("broker pid ");
            brokerPid = Long.parseLong(line.substring("broker pid ".length()));
            assertThat(alive(brokerPid)).isTrue();

            testJvm.destroyForcibly();
            assertThat(testJvm.waitFor(10, TimeUnit.SECONDS)).isTrue();

            Instant deadline = Instant.now().plus(ORPHAN_TIMEOUT);
            while (alive(brokerPid) && Instant.now().isBefore(deadline)) {
                Thread.sleep(50);
            }
            assertThat(alive(brokerPid)).as("broker %d alive %s after its test JVM was killed", brokerPid,
                    ORPHAN_TIMEOUT).isFalse();
        } finally {
            testJvm.destroyForcibly();
        }
        Path log = Files.list(dir).filter(p -> p.getFileName().toString().startsWith("kafka-")).findFirst()
                .orElseThrow().resolve("broker.log");
        assertThat(Files.readString(log)).contains("fleettap: standard input closed, the test JVM is gone");
    }

    /** Alive and not a zombie: an orphan that exited may wait for its new parent to reap it. */
    static boolean alive(long pid) throws Exception {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return false;
        }
        String text;
        try {
            text = Files.readAllLines(stat).get(0);
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
        // pid (comm) state ...: the state follows the last ')'
        char state = text.charAt(text.lastIndexOf(')') + 2);
        return state != 'Z' && state != 'X';
    }
}
