package org.fleettap.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fleettap.agent.daemon.AgentConfig;
import org.fleettap.agent.daemon.AgentDaemon;
import org.fleettap.agent.policy.Policy;
import org.fleettap.agent.transport.BatchSink;
import org.fleettap.agent.transport.GrpcTransport;
import org.fleettap.agent.transport.KafkaTransport;
import org.fleettap.agent.transport.KafkaTransportConfig;
import org.fleettap.agent.transport.Spool;
import org.fleettap.agent.transport.SpoolConfig;
import org.fleettap.agent.transport.TransportSettings;
import org.fleettap.agent.transport.TransportStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fleettap agent}: the per-host daemon. Registers with the collector, holds its control stream, runs the
 * sessions the collector pushes, and sends their batches to the collector over gRPC (or to Kafka with --kafka)
 * through a bounded disk spool. On SIGTERM or SIGINT it stops its sessions (their end probes run and their last
 * batches are sent), flushes what it can within a bound, leaves the rest in the spool for the next start, and exits
 * 0.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run the agent daemon: register with the collector and run the sessions it pushes to this "
                + "host, until SIGTERM or SIGINT.",
                "STATE_HOME, where state and spool live: /var/lib/fleettap when run as root, else "
                        + "$XDG_STATE_HOME/fleettap (~/.local/state/fleettap without it)."})
final class AgentCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(AgentCommand.class);
    /** How long, after the sessions ended, the agent waits for the collector (or Kafka) to take the last batches. */
    static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(10);
    static final String ROOT_STATE_HOME = "/var/lib/fleettap";
    static final int MAX_HOST_ID_BYTES = 253;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--collector", required = true, paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "The collector: registration, sessions and (without --kafka) batches.")
    HostPort collector;

    @Option(names = "--kafka", paramLabel = "BOOTSTRAP",
            description = "Send batches to Kafka instead (bootstrap servers, HOST:PORT[,HOST:PORT...]); the "
                    + "collector consumes the topic.")
    String kafka;

    @Option(names = "--kafka-topic", paramLabel = "TOPIC",
            description = "The topic for --kafka (default: " + KafkaTransportConfig.DEFAULT_TOPIC + ").")
    String kafkaTopic;

    @Option(names = KafkaConfigFile.OPTION, paramLabel = "FILE",
            description = "Kafka client settings for --kafka (Java properties: security.protocol, ssl.*, sasl.*, "
                    + "...), passed to the producer. See docs/kafka-security.md.")
    Path kafkaConfig;

    @Option(names = "--host-id", paramLabel = "ID",
            description = "This host's name in the fleet (default: the host name, else /etc/machine-id).")
    String hostId;

    @Option(names = "--labels", paramLabel = "KEY=VALUE[,...]",
            description = "Labels that session selectors match (e.g. zone=eu-1,role=db); may be repeated.")
    List<String> labels = new ArrayList<>();

    @Option(names = "--spool", paramLabel = "DIR",
            description = "Where batches wait until the collector has them (default: STATE_HOME/spool).")
    Path spoolDir;

    @Option(names = "--spool-max", paramLabel = "SIZE", converter = Sizes.Converter.class,
            description = "The spool's bound (e.g. 64MiB; default " + (SpoolConfig.DEFAULT_MAX_BYTES >> 20) + "MiB): "
                    + "when it is full the oldest batches are dropped, and the collector is told how many.")
    Long spoolMax;

    @Option(names = "--state", paramLabel = "DIR",
            description = "Where the agent keeps what outlives a restart (default: STATE_HOME/state).")
    Path stateDir;

    @Option(names = "--policy", paramLabel = "FILE",
            description = "This host's policy (YAML): which binaries and users' processes sessions may probe, "
                    + "whether kernel probes may be used, and budgets per session (probes, events/s, map entries, "
                    + "output bytes/s). The collector cannot override it. Without it everything is allowed. See "
                    + "docs/policy.md.")
    Path policyFile;

    @Option(names = DaemonSettings.CONFIG_OPTION, paramLabel = "FILE",
            description = "YAML settings (default: $" + DaemonSettings.CONFIG_ENV + "): keys are the long options, "
                    + "e.g. 'spool-max: 64MiB', 'labels: {zone: eu-1}'. Flags win, then FLEETTAP_<OPTION> "
                    + "environment variables (FLEETTAP_SPOOL_MAX), then the file.")
    Path configFile;

    @Option(names = {"-v", "--verbose"}, description = "Log at debug level; stack traces on errors.")
    boolean verbose;

    @CommandLine.Mixin
    TlsOptions tls;

    @Override
    public Integer call() throws Exception {
        Map<String, String> labelMap = labels();
        if (hostId != null) {
            validateHostId(hostId);
        }
        KafkaTransportConfig kafkaConfig = kafkaConfig();
        Path home = stateHome(ownerUid(), System.getenv(), System.getProperty("user.home"));
        Path spoolPath = writableDirectory("--spool", spoolDir != null ? spoolDir : home.resolve("spool"));
        Path statePath = writableDirectory("--state", stateDir != null ? stateDir : home.resolve("state"));
        Policy policy = PolicyFile.read(policyFile, spec);
        io.grpc.ChannelCredentials credentials = tls.channelCredentials(collector.toString(),
                "pose as the collector and start sessions on this host, or read and change its batches on the way");
        AgentConfig config = AgentConfig.builder(collector.toString(), statePath).hostId(hostId).labels(labelMap)
                .policy(policy).build();

        if (spoolMax != null && spoolMax < SpoolConfig.MIN_MAX_BYTES) {
            throw new UserErrors.UsageException("--spool-max " + spoolMax + " is below the smallest spool, "
                    + SpoolConfig.MIN_MAX_BYTES + " bytes");
        }
        Spool spool = Spool.open(SpoolConfig.of(spoolPath, spoolMax != null ? spoolMax : SpoolConfig.DEFAULT_MAX_BYTES));
        BatchSink sink;
        try {
            sink = kafkaConfig != null ? KafkaTransport.connect(kafkaConfig, spool, TransportSettings.defaults())
                    : GrpcTransport.connect(collector.toString(), credentials, spool, TransportSettings.defaults());
        } catch (RuntimeException e) {
            spool.close();
            throw e;
        }
        log.info("agent {}: batches to {} through spool {}", config.hostId(),
                kafkaConfig != null ? "Kafka " + kafkaConfig.bootstrapServers() + " topic " + kafkaConfig.topic()
                        : "the collector at " + collector, spoolPath);
        // The handlers stay installed until the agent has shut down, so that a second signal does not cut the
        // flush short (what is not flushed stays in the spool either way).
        AgentDaemon daemon = null;
        try (StopSignals stop = StopSignals.install()) {
            daemon = new AgentDaemon(config, credentials, sink::submit);
            daemon.start();
            while (!stop.stopped()) {
                stop.await(1000);
            }
            log.info("stopping: ending {} sessions", daemon.runningSessionIds().size());
            // The sessions' end probes run and their last batches go to the sink before it is flushed.
            daemon.close();
            sink.flush(FLUSH_TIMEOUT);
        } finally {
            if (daemon != null) {
                daemon.close(); // idempotent; here for a failure before the normal close
            }
            sink.close();
        }
        TransportStats s = sink.stats();
        log.info("stopped: {} batches submitted, {} acknowledged, {} left in the spool, {} dropped",
                s.submitted(), s.applied() + s.duplicates(), s.spool().batches(),
                s.intakeDropped() + s.spool().droppedBatches());
        return 0;
    }

    private Map<String, String> labels() {
        if (labels.isEmpty()) {
            return Map.of();
        }
        try {
            return HostSelectors.labels(String.join(",", labels));
        } catch (IllegalArgumentException e) {
            throw invalid("--labels", e.getMessage());
        }
    }

    private void validateHostId(String id) {
        if (id.isBlank() || !id.strip().equals(id)) {
            throw invalid("--host-id", "'" + id + "' is empty or has blanks around it");
        }
        if (id.getBytes(StandardCharsets.UTF_8).length > MAX_HOST_ID_BYTES) {
            throw invalid("--host-id", "longer than " + MAX_HOST_ID_BYTES + " bytes");
        }
    }

    private KafkaTransportConfig kafkaConfig() {
        if (kafka == null) {
            if (kafkaTopic != null || kafkaConfig != null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        (kafkaTopic != null ? "--kafka-topic" : KafkaConfigFile.OPTION) + " needs --kafka");
            }
            return null;
        }
        for (String server : kafka.split(",", -1)) {
            try {
                HostPort.parse(server);
            } catch (IllegalArgumentException e) {
                throw invalid("--kafka", e.getMessage());
            }
        }
        KafkaTransportConfig c = KafkaTransportConfig.of(kafka).withExtraProperties(
                KafkaConfigFile.read(kafkaConfig, KafkaConfigFile.Client.PRODUCER, spec));
        if (kafkaTopic != null) {
            try {
                c = c.withTopic(kafkaTopic);
            } catch (IllegalArgumentException e) {
                throw invalid("--kafka-topic", e.getMessage());
            }
        }
        return c;
    }

    /** Creates {@code dir} if needed and checks that the agent can write there. */
    private Path writableDirectory(String option, Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (FileSystemException e) {
            throw invalid(option, "cannot create directory " + dir + " ("
                    + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName() + ": " + e.getFile())
                    + ")");
        } catch (IOException e) {
            throw invalid(option, "cannot create directory " + dir + " (" + e.getMessage() + ")");
        }
        if (!Files.isWritable(dir)) {
            throw invalid(option, dir + " is not writable");
        }
        return dir.toAbsolutePath();
    }

    private CommandLine.ParameterException invalid(String option, String message) {
        return new CommandLine.ParameterException(spec.commandLine(),
                "Invalid value for option '" + option + "': " + message);
    }

    /**
     * Where state and spool live by default: {@value #ROOT_STATE_HOME} for root (a system daemon), else the
     * user's state home ({@code $XDG_STATE_HOME}, else {@code ~/.local/state}) + {@code /fleettap}.
     */
    static Path stateHome(long uid, Map<String, String> env, String userHome) {
        if (uid == 0) {
            return Path.of(ROOT_STATE_HOME);
        }
        return UserDirs.xdg(env, "XDG_STATE_HOME", userHome, "state");
    }

    private static long ownerUid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name")) ? 0 : -1;
        }
    }
}
