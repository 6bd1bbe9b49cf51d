package org.fleettap.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fleettap.collector.Collector;
import org.fleettap.collector.CollectorConfig;
import org.fleettap.collector.auth.AccessSettings;
import org.fleettap.collector.auth.Tokens;
import org.fleettap.collector.auth.TokensParser;
import org.fleettap.collector.kafka.KafkaIngestConfig;
import org.fleettap.collector.store.StoreException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fleettap collector}: the collector daemon. It serves agents (registration, control, ingest) and the CLI
 * (sessions, queries) on one gRPC port, keeps everything in a RocksDB store in its data directory, optionally also
 * reads batches from Kafka, and runs until SIGINT or SIGTERM. Once it listens it prints
 * {@code collector listening on HOST:PORT} (the port picked, for port 0).
 */
@Command(name = "collector", mixinStandardHelpOptions = true,
        description = "Run the collector: agents send it their batches, the CLI queries it. Prints 'collector "
                + "listening on HOST:PORT' once it serves, runs until SIGINT or SIGTERM.")
final class CollectorCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT",
            description = "Address to serve on, e.g. 0.0.0.0:7420, 127.0.0.1:0 (port 0 picks a free one), [::1]:7420.")
    String listen;

    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "The store's directory (created if missing; one collector at a time).")
    Path data;

    @Option(names = "--kafka", paramLabel = "BOOTSTRAP",
            description = "Also read batches from Kafka at these bootstrap servers (host:port,...).")
    String kafka;

    @Option(names = "--kafka-topic", paramLabel = "TOPIC",
            description = "The agents' topic (default: " + KafkaIngestConfig.DEFAULT_TOPIC + ").")
    String kafkaTopic;

    @Option(names = "--kafka-group", paramLabel = "GROUP",
            description = "The consumer group (default: " + KafkaIngestConfig.DEFAULT_GROUP + "); replicas of a "
                    + "collector each need their own.")
    String kafkaGroup;

    @Option(names = KafkaConfigFile.OPTION, paramLabel = "FILE",
            description = "Kafka client settings for --kafka (Java properties: security.protocol, ssl.*, sasl.*, "
                    + "...), passed to the consumer. See docs/kafka-security.md.")
    Path kafkaConfig;

    @Option(names = DaemonSettings.CONFIG_OPTION, paramLabel = "FILE",
            description = "YAML settings (default: $" + DaemonSettings.CONFIG_ENV + "): keys are the long options, "
                    + "e.g. 'spool-max: 64MiB', 'labels: {zone: eu-1}'. Flags win, then FLEETTAP_<OPTION> "
                    + "environment variables (FLEETTAP_SPOOL_MAX), then the file.")
    Path configFile;

    @Option(names = "--host-lost-after", paramLabel = "DUR",
            description = "A host without contact for DUR is lost to its sessions, which go on without it "
                    + "(default: 30s, three missed heartbeats).")
    String hostLostAfter;

    @Option(names = "--tokens", paramLabel = "FILE",
            description = "The users and their roles (tokens.yaml, see docs/access.md; default: TLS-DIR/tokens.yaml): "
                    + "every call is checked (client certificate, token, role). Needs --tls-dir.")
    Path tokens;

    @Option(names = {"-v", "--verbose"}, description = "Log what the collector does; stack traces on errors.")
    boolean verbose;

    @CommandLine.Mixin
    TlsOptions tls;

    /** A parsed --listen value; {@code host} as given (IPv6 in brackets), {@code bindHost} without brackets. */
    record Listen(String host, String bindHost, int port) {}

    static Listen parseListen(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("expected HOST:PORT");
        }
        String host = text.substring(0, colon);
        String bindHost = host;
        if (host.startsWith("[") && host.endsWith("]")) {
            bindHost = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("write an IPv6 address in brackets, e.g. [::1]:7420");
        }
        if (bindHost.isEmpty()) {
            throw new IllegalArgumentException("expected HOST:PORT");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port '" + text.substring(colon + 1) + "' is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not in 0..65535");
        }
        return new Listen(host, bindHost, port);
    }

    @Override
    public Integer call() throws Exception {
        Listen where = listenAddress();
        CollectorConfig config = config(where);
        config = config.withCredentials(tls.serverCredentials());
        config = withAccess(config);
        try (StopSignals stop = StopSignals.install(); Collector collector = new Collector(config)) {
            try {
                collector.start();
            } catch (StoreException e) {
                throw new UserErrors.UsageException("--data " + data + ": " + e.getMessage());
            }
            System.out.println("collector listening on " + where.host() + ":" + collector.port());
            System.out.flush();
            tls.warnIfInsecure(where.host() + ":" + collector.port(),
                    "start sessions on every agent, register as any host and read every result");
            while (!stop.stopped()) {
                stop.await(1000);
            }
        }
        return 0;
    }

    private Listen listenAddress() {
        try {
            return parseListen(listen);
        } catch (IllegalArgumentException e) {
            throw bad("--listen " + listen + ": " + e.getMessage());
        }
    }

    private CollectorConfig config(Listen where) {
        if (kafka == null && (kafkaTopic != null || kafkaGroup != null || kafkaConfig != null)) {
            throw bad((kafkaTopic != null ? "--kafka-topic" : kafkaGroup != null ? "--kafka-group"
                    : KafkaConfigFile.OPTION) + " needs --kafka");
        }
        CollectorConfig config = CollectorConfig.of(where.bindHost(), where.port(), data);
        if (hostLostAfter != null) {
            java.time.Duration d;
            try {
                d = Durations.parse(hostLostAfter);
            } catch (UserErrors.UsageException e) {
                throw bad("--host-lost-after: " + e.getMessage());
            }
            if (d.isZero()) {
                throw bad("--host-lost-after must be more than 0");
            }
            config = config.withControl(config.control().withLostAfter(d));
        }
        if (kafka != null) {
            try {
                KafkaIngestConfig k = KafkaIngestConfig.of(kafka).withExtraProperties(
                        KafkaConfigFile.read(kafkaConfig, KafkaConfigFile.Client.CONSUMER, spec));
                if (kafkaTopic != null) {
                    k = k.withTopic(kafkaTopic);
                }
                if (kafkaGroup != null) {
                    k = k.withGroupId(kafkaGroup);
                }
                config = config.withKafka(k);
            } catch (IllegalArgumentException e) {
                throw bad(e.getMessage());
            }
        }
        return config;
    }

    /**
     * With TLS every call is checked against the users of --tokens, by default TLS-DIR/tokens.yaml (which {@code
     * fleettap certs} writes into the collector's directory); with --insecure nobody is, and --tokens is refused.
     */
    private CollectorConfig withAccess(CollectorConfig config) {
        if (tls.insecure) {
            if (tokens != null) {
                throw bad("--tokens needs --tls-dir: without TLS no caller has a certificate to check");
            }
            return config;
        }
        Path file = tokens != null ? tokens : tls.tlsDir.resolve("tokens.yaml");
        if (tokens == null && !Files.exists(file)) {
            throw bad("--tls-dir " + tls.tlsDir + " has no tokens.yaml (the users and their roles): give --tokens "
                    + "FILE, see docs/access.md");
        }
        return config.withAccess(AccessSettings.checked(readTokens(file)));
    }

    /** {@code file}'s users; a file that cannot be read or used is a usage error (exit 2), one line. */
    private Tokens readTokens(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw bad("--tokens " + file + ": cannot read it (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + ")");
        }
        try {
            return TokensParser.parse(file.toString(), bytes);
        } catch (TokensParser.TokensException e) {
            throw bad("--tokens: " + e.getMessage());
        }
    }

    private CommandLine.ParameterException bad(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
