package org.fleettap.testing.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node Kafka broker for tests: KRaft, one process in the broker and controller roles, in a child
 * JVM, so that a test can stop it (SIGTERM), kill it (SIGKILL) and restart it on the same ports with the same
 * data, and so that the broker's classpath and logging stay out of the test JVM.
 *
 * <pre>{@code
 * try (KafkaBroker kafka = KafkaBroker.start(tempDir)) {
 *     kafka.createTopic("batches", 3);
 *     ... clients with bootstrap.servers = kafka.bootstrapServers() ...
 *     kafka.kill();
 *     kafka.restart();
 * }
 * }</pre>
 *
 * <p>The broker's files are in a fresh directory under the one given to {@link #start(Path)}: {@code
 * server.properties}, {@code log4j2.properties}, {@code data/} (log and metadata directory) and {@code
 * broker.log}, where the broker's log and everything else the child JVM prints go, across restarts. Failures
 * carry the end of that log. {@link #close()} stops the broker and deletes the directory, unless the system
 * property {@value #KEEP_PROPERTY} is {@code true}; a broker that fails to start keeps its directory. (Under a
 * JUnit {@code @TempDir}, JUnit deletes it all the same; {@code
 * -Djunit.jupiter.tempdir.cleanup.mode.default=never} keeps that too.)
 *
 * <p>Topics are not created automatically ({@code auto.create.topics.enable=false}): a test creates each topic
 * with {@link #createTopic(String, int)}, with the partition count it means, and a misspelt topic name fails
 * instead of creating a one-partition topic. Internal topics have one replica and one partition.
 *
 * <p>No broker outlives the test JVM: {@link #close()} stops it, a shutdown hook kills the ones left running,
 * and the child halts by itself when its standard input, a pipe from the test JVM, closes (the test JVM was
 * killed).
 */
public final class KafkaBroker implements AutoCloseable {

    /** System property: {@code true} keeps the broker's directory after {@link #close()}. */
    public static final String KEEP_PROPERTY = "fleettap.kafka.keep";

    /** How long {@link #start(Path)} and {@link #restart()} wait for the broker to answer. */
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    /** How long {@link #stop()} waits after SIGTERM before it kills the broker. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    /** How long an administrative call ({@link #createTopic(String, int)}) may take. */
    public static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    /** The broker's node id, in the broker and controller roles. */
    public static final int NODE_ID = 1;

    static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    static final String HOST = "127.0.0.1";
    /**
     * The broker's JVM: a small heap, and C1 only (client compiler), which starts the broker faster and made
     * these tests about a third faster on 2 loaded cores; not what a throughput benchmark should measure.
     */
    static final List<String> JVM_OPTIONS = List.of(
            "-Xms64m",
            "-Xmx384m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true");
    static final int LOG_TAIL_LINES = 60;
    static final int LOG_TAIL_BYTES = 64 * 1024;

    /** The lowest port chosen for a broker, when the ephemeral range leaves room below it. */
    static final int LOWEST_PORT = 10_000;

    private static final String CLASSPATH_PROVIDED = "broker-classpath-provided.txt";
    private static final String CLASSPATH_RUNTIME = "broker-classpath-runtime.txt";
    private static final String LOG4J_CONFIGURATION = "broker-log4j2.properties";

    /** Children still running, killed by the shutdown hook if the test JVM exits without closing them. */
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(
                () -> RUNNING.forEach(Process::destroyForcibly), "fleettap-kafka-broker-reaper"));
    }

    private final Object lock = new Object();
    private final Path directory;
    private final Path dataDirectory;
    private final Path serverProperties;
    private final Path log4jProperties;
    private final Path logFile;
    private final int brokerPort;
    private final int controllerPort;
    private final String clusterId;
    private final String classpath;
    private final BrokerSecurity security;

    /** The running child, or null; written under {@link #lock}. */
    private volatile Process process;
    private int launches;
    private boolean closed;

    private KafkaBroker(Path directory, int brokerPort, int controllerPort, String clusterId, String classpath,
            BrokerSecurity security) {
        this.directory = directory;
        this.dataDirectory = directory.resolve("data");
        this.serverProperties = directory.resolve("server.properties");
        this.log4jProperties = directory.resolve("log4j2.properties");
        this.logFile = directory.resolve("broker.log");
        this.brokerPort = brokerPort;
        this.controllerPort = controllerPort;
        this.clusterId = clusterId;
        this.classpath = classpath;
        this.security = security;
    }

    /**
     * Formats a new single-node cluster in a fresh directory under {@code parent}, starts its broker, and
     * returns once the broker answers a describe-cluster request with itself (it is then unfenced and serves
     * clients), within {@link #READY_TIMEOUT}.
     *
     * @throws IllegalStateException if the broker exits or does not answer in time; the message has the end of
     *     the broker's log, and the directory is kept
     */
    public static KafkaBroker start(Path parent) {
        return start(parent, BrokerSecurity.plaintext());
    }

    /**
     * {@link #start(Path)} with the clients' listener secured as {@code security} says (SASL/PLAIN, for one). The
     * harness's own administrative client authenticates with {@link #clientProperties()}.
     */
    public static KafkaBroker start(Path parent, BrokerSecurity security) {
        requireNonNull(parent, "parent");
        requireNonNull(security, "security");
        String classpath = brokerClasspath();
        Path directory;
        try {
            Files.createDirectories(parent);
            directory = Files.createTempDirectory(parent, "kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("creating a broker directory under " + parent, e);
        }
        int[] ports = freePorts(2);
        KafkaBroker broker = new KafkaBroker(directory, ports[0], ports[1], Uuid.randomUuid().toString(), classpath,
                security);
        synchronized (broker.lock) {
            try {
                broker.writeConfiguration();
                broker.launch(true);
                broker.awaitReady();
            } catch (RuntimeException | Error e) {
                broker.closed = true;
                try {
                    broker.stopProcess();
                } catch (RuntimeException stopFailure) {
                    e.addSuppressed(stopFailure);
                }
                throw e;
            }
        }
        return broker;
    }

    /** {@code 127.0.0.1:PORT}, the same across restarts. */
    public String bootstrapServers() {
        return HOST + ":" + brokerPort;
    }

    /** How the clients' listener authenticates clients. */
    public BrokerSecurity security() {
        return security;
    }

    /**
     * What a client needs besides {@code bootstrap.servers} to be let in with the broker's own credentials
     * ({@code security.protocol}, {@code sasl.*}); empty for a plaintext broker.
     */
    public Map<String, String> clientProperties() {
        return security.clientProperties();
    }

    /** The broker's directory (configuration, data, log). */
    public Path directory() {
        return directory;
    }

    /** The file with everything the broker's JVM printed, its log included, across restarts. */
    public Path logFile() {
        return logFile;
    }

    /** Whether the broker's process is alive (it may not be ready yet). */
    public boolean isRunning() {
        Process current = process;
        return current != null && current.isAlive();
    }

    /**
     * The process id of the broker's JVM.
     *
     * @throws IllegalStateException if the broker is not running
     */
    public long pid() {
        Process current = process;
        if (current == null || !current.isAlive()) {
            throw new IllegalStateException("the broker at " + bootstrapServers() + " is not running");
        }
        return current.pid();
    }

    /**
     * Creates a topic with {@code partitions} partitions and one replica, and returns once the broker knows a
     * leader for every partition, so that clients can use it at once.
     */
    public void createTopic(String name, int partitions) {
        requireNonNull(name, "name");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
        }
        synchronized (lock) {
            ensureOpen();
            String what = "creating topic " + name + " with " + partitions + " partitions on " + bootstrapServers();
            Instant deadline = Instant.now().plus(ADMIN_TIMEOUT);
            try (Admin admin = Admin.create(adminProperties(ADMIN_TIMEOUT))) {
                admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
                        .all()
                        .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                while (!hasLeaders(admin, name, partitions)) {
                    if (Instant.now().isAfter(deadline)) {
                        throw failure(what + ": the partitions had no leader within " + ADMIN_TIMEOUT, null);
                    }
                    Thread.sleep(50);
                }
            } catch (ExecutionException e) {
                throw failure(what, e.getCause());
            } catch (TimeoutException e) {
                throw failure(what + ": no answer within " + ADMIN_TIMEOUT, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(what + ": interrupted", e);
            }
        }
    }

    /**
     * Stops the broker with SIGTERM (a controlled shutdown) and waits for its JVM to exit. Does nothing if it
     * is not running.
     *
     * @throws IllegalStateException if it did not exit within {@link #STOP_TIMEOUT}; it was then killed
     */
    public void stop() {
        synchronized (lock) {
            stopProcess();
        }
    }

    /**
     * Kills the broker with SIGKILL, as a crash would, and waits for its JVM to be gone. What the broker had
     * acknowledged is in the page cache and survives; {@link #restart()} recovers the logs.
     *
     * <p>While the broker is down, clients retry; a producer whose metadata was reset (it re-bootstraps when no
     * broker answers) blocks in {@code send()} for up to {@code max.block.ms}, so a test that produces through
     * the downtime does so from another thread than the one that restarts the broker.
     */
    public void kill() {
        synchronized (lock) {
            ensureOpen();
            if (process == null) {
                return;
            }
            Process killed = process;
            killed.destroyForcibly();
            awaitExit(killed, KILL_TIMEOUT, "after SIGKILL");
            forget(killed);
        }
    }

    /**
     * Starts the broker again, stopping it first (SIGTERM) if it runs, on the same ports with the same data,
     * and returns once it answers, within {@link #READY_TIMEOUT}.
     */
    public void restart() {
        synchronized (lock) {
            ensureOpen();
            stopProcess();
            launch(false);
            awaitReady();
        }
    }

    /**
     * Stops the broker (as {@link #stop()}) and deletes its directory unless {@value #KEEP_PROPERTY} is {@code
     * true}. Closing again does nothing.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            RuntimeException failure = null;
            try {
                stopProcess();
            } catch (RuntimeException e) {
                failure = e;
            }
            if (!Boolean.getBoolean(KEEP_PROPERTY)) {
                try {
                    deleteRecursively(directory);
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    @Override
    public String toString() {
        return "KafkaBroker[" + security.protocol() + "://" + bootstrapServers() + ", " + directory + "]";
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the broker at " + bootstrapServers() + " is closed");
        }
    }

    private void writeConfiguration() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", Integer.toString(NODE_ID));
        config.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        String clients = security.protocol();
        config.put("listeners",
                clients + "://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
        config.put("advertised.listeners", clients + "://" + HOST + ":" + brokerPort);
        config.put("listener.security.protocol.map", clients + ":" + clients + ",CONTROLLER:PLAINTEXT");
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", clients);
        config.putAll(security.serverProperties());
        config.put("log.dirs", dataDirectory.toString());
        // topics: created by the tests, one replica
        config.put("auto.create.topics.enable", "false");
        config.put("num.partitions", "1");
        config.put("default.replication.factor", "1");
        config.put("min.insync.replicas", "1");
        // internal topics: one replica, one partition (created faster than 50)
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "1");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("transaction.state.log.num.partitions", "1");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        // a restarted broker registers anew once the controller has dropped its previous registration, when the
        // session of that one times out (9 s by default): 3 s, with a heartbeat every 500 ms
        config.put("broker.session.timeout.ms", "3000");
        config.put("broker.heartbeat.interval.ms", "500");
        // a consumer group's first member is assigned at once
        config.put("group.initial.rebalance.delay.ms", "0");
        // small: 1 MiB segments (the least Kafka takes), a 4 MiB cleaner buffer instead of 128 MiB, few threads
        config.put("log.segment.bytes", Integer.toString(1024 * 1024));
        config.put("log.cleaner.dedupe.buffer.size", Integer.toString(4 * 1024 * 1024));
        config.put("num.network.threads", "2");
        config.put("num.io.threads", "2");
        config.put("num.recovery.threads.per.data.dir", "1");

        StringBuilder text = new StringBuilder("# written by " + KafkaBroker.class.getName() + "\n");
        config.forEach((key, value) -> text.append(key).append('=').append(value.replace("\\", "\\\\")).append('\n'));
        try (InputStream log4j = KafkaBroker.class.getResourceAsStream(LOG4J_CONFIGURATION)) {
            if (log4j == null) {
                throw new IllegalStateException("resource " + LOG4J_CONFIGURATION + " is missing beside "
                        + KafkaBroker.class.getName());
            }
            Files.createDirectories(dataDirectory);
            Files.writeString(serverProperties, text);
            Files.copy(log4j, log4jProperties);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the broker's configuration in " + directory, e);
        }
    }

    private void launch(boolean format) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_OPTIONS);
        command.add("-Dlog4j2.configurationFile=" + log4jProperties);
        command.add("-cp");
        command.add(classpath);
        command.add(BrokerMain.class.getName());
        command.add(serverProperties.toString());
        if (format) {
            command.add("--format");
            command.add(clusterId);
        }
        launches++;
        try {
            Files.writeString(logFile,
                    "==== fleettap: " + Instant.now() + ": launch " + launches + (format ? " (format)" : "")
                            + " of the broker at " + bootstrapServers() + " ====\n",
                    UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            // standard input stays a pipe from this JVM: the child halts when it closes
            process = new ProcessBuilder(command)
                    .directory(directory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(Redirect.appendTo(logFile.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting the broker's JVM: " + String.join(" ", command), e);
        }
        RUNNING.add(process);
    }

    private void awaitReady() {
        Instant started = Instant.now();
        Instant deadline = started.plus(READY_TIMEOUT);
        Throwable last = null;
        try (Admin admin = Admin.create(adminProperties(Duration.ofSeconds(2)))) {
            while (true) {
                if (!process.isAlive()) {
                    throw failure("the broker at " + bootstrapServers() + " exited with status "
                            + process.exitValue() + " before it was ready", last);
                }
                try {
                    Collection<Node> nodes = admin.describeCluster().nodes().get();
                    if (nodes.stream().anyMatch(node -> node.id() == NODE_ID)) {
                        return;
                    }
                    last = new IllegalStateException("describe cluster answered without node " + NODE_ID + ": "
                            + nodes);
                } catch (ExecutionException e) {
                    last = e.getCause();
                }
                if (Instant.now().isAfter(deadline)) {
                    throw failure("the broker at " + bootstrapServers() + " was not ready within "
                            + READY_TIMEOUT, last);
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("waiting for the broker at " + bootstrapServers() + ": interrupted", e);
        }
    }

    private Properties adminProperties(Duration apiTimeout) {
        Properties properties = new Properties();
        properties.putAll(security.clientProperties());
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) apiTimeout.toMillis());
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(apiTimeout.toMillis(), 10_000));
        properties.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 100);
        properties.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, 100);
        properties.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        properties.put(AdminClientConfig.CLIENT_ID_CONFIG, "fleettap-kafka-broker-harness");
        return properties;
    }

    private static boolean hasLeaders(Admin admin, String topic, int partitions)
            throws ExecutionException, InterruptedException, TimeoutException {
        TopicDescription description = admin.describeTopics(List.of(topic))
                .allTopicNames()
                .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .get(topic);
        return description.partitions().size() == partitions
                && description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
    }

    /** SIGTERM, wait, and SIGKILL if the broker outstays {@link #STOP_TIMEOUT}. */
    private void stopProcess() {
        if (process == null) {
            return;
        }
        Process stopping = process;
        stopping.destroy();
        try {
            if (!stopping.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                stopping.destroyForcibly();
                awaitExit(stopping, KILL_TIMEOUT, "after SIGKILL");
                throw failure("the broker at " + bootstrapServers() + " did not exit within " + STOP_TIMEOUT
                        + " of SIGTERM; it was killed with SIGKILL", null);
            }
        } catch (InterruptedException e) {
            stopping.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("stopping the broker at " + bootstrapServers()
                    + ": interrupted; it was killed with SIGKILL", e);
        } finally {
            if (!stopping.isAlive()) {
                forget(stopping);
            }
        }
    }

    private void awaitExit(Process dying, Duration timeout, String when) {
        boolean exited;
        try {
            exited = dying.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("waiting for the broker at " + bootstrapServers() + " to exit "
                    + when + ": interrupted", e);
        }
        if (!exited) {
            throw new IllegalStateException("the broker at " + bootstrapServers() + " (pid " + dying.pid()
                    + ") was still alive " + timeout + " " + when);
        }
    }

    private void forget(Process exited) {
        RUNNING.remove(exited);
        if (process == exited) {
            process = null;
        }
    }

    private IllegalStateException failure(String message, Throwable cause) {
        return new IllegalStateException(message + "\n---- last lines of " + logFile + " ----\n" + logTail()
                + "---- end of " + logFile + " ----", cause);
    }

    /** The last {@link #LOG_TAIL_LINES} lines of the broker's log. */
    String logTail() {
        byte[] bytes;
        try (SeekableByteChannel channel = Files.newByteChannel(logFile)) {
            long start = Math.max(0, channel.size() - LOG_TAIL_BYTES);
            ByteBuffer buffer = ByteBuffer.allocate((int) (channel.size() - start));
            channel.position(start);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // read up to the size seen above
            }
            bytes = Arrays.copyOf(buffer.array(), buffer.position());
        } catch (NoSuchFileException e) {
            return "(no log)\n";
        } catch (IOException e) {
            return "(could not read the log: " + e + ")\n";
        }
        List<String> lines = new String(bytes, UTF_8).lines().toList();
        StringBuilder tail = new StringBuilder();
        lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size())
                .forEach(line -> tail.append(line).append('\n'));
        return tail.toString();
    }

    /**
     * The child JVM's classpath: this module's classes (for {@link BrokerMain}) and the jars the build listed in
     * the broker-classpath resources.
     */
    private static String brokerClasspath() {
        List<String> entries = new ArrayList<>();
        try {
            entries.add(Path.of(BrokerMain.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toString());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("locating the classes of " + BrokerMain.class.getName(), e);
        }
        for (String resource : List.of(CLASSPATH_RUNTIME, CLASSPATH_PROVIDED)) {
            try (InputStream in = KafkaBroker.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("resource " + resource + " is missing beside "
                            + KafkaBroker.class.getName() + ": the build of fleettap-testing-kafka writes it");
                }
                for (String entry : new String(in.readAllBytes(), UTF_8).trim().split(File.pathSeparator)) {
                    if (!Files.isRegularFile(Path.of(entry))) {
                        throw new IllegalStateException("the broker's classpath (" + resource + ") names " + entry
                                + ", which is not a file: build fleettap-testing-kafka on this machine");
                    }
                    entries.add(entry);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading resource " + resource, e);
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    /**
     * {@code count} distinct free ports on {@link #HOST}, below the kernel's ephemeral range when it leaves
     * room: the ports are kept across restarts, and a port in the ephemeral range may be taken as the source
     * port of some connection while the broker is down.
     */
    static int[] freePorts(int count) {
        int ephemeralLow = ephemeralPortRangeLow();
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int attempt = 0; held.size() < count && attempt < 1000; attempt++) {
                int port = ephemeralLow - LOWEST_PORT > 1000
                        ? ThreadLocalRandom.current().nextInt(LOWEST_PORT, ephemeralLow)
                        : 0;
                ServerSocket socket = new ServerSocket();
                try {
                    socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
                    held.add(socket);
                } catch (IOException e) {
                    socket.close();
                }
            }
            if (held.size() < count) {
                throw new IllegalStateException("found no " + count + " free ports on " + HOST);
            }
            return held.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException("looking for free ports on " + HOST, e);
        } finally {
            for (ServerSocket socket : held) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // closing a bound, unconnected socket: nothing to do about a failure
                }
            }
        }
    }

    private static int ephemeralPortRangeLow() {
        try {
            // readAllLines, not readString: /proc files report a size of 0, and readString trusts the size
            String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32768;
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("deleting the broker's directory " + root, e);
        }
    }
}
