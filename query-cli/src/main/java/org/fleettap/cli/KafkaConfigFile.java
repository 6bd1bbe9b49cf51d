package org.fleettap.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.fleettap.agent.script.Suggestions;
import org.fleettap.agent.transport.KafkaTransportConfig;
import org.fleettap.cli.config.ConfigFile;
import org.fleettap.cli.config.KafkaProperties;
import org.fleettap.collector.kafka.KafkaIngestConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The {@code --kafka-config FILE} of {@code agent} and {@code collector}: Kafka client settings (security.protocol,
 * ssl.*, sasl.*, ...) passed through to the agent's producer and the collector's consumer. One file serves both
 * daemons, so the same settings are refused on both: those fleettap sets itself because exactly-once delivery rests
 * on them ({@link #REFUSED}). A refused key, a value Kafka's own definition of the setting rejects, or a file that
 * cannot be read is a usage error of the command naming the file, the line and the key; secrets never appear in
 * messages or logs.
 */
final class KafkaConfigFile {
    private static final Logger log = LoggerFactory.getLogger(KafkaConfigFile.class);
    static final String OPTION = "--kafka-config";
    /** The settings the agent's producer or the collector's consumer set themselves. */
    static final Set<String> REFUSED = refused();
    /** Every setting a Kafka client knows; anything else is passed on with a warning (a plug-in may read it). */
    private static final Set<String> KNOWN = known();

    /** Which client the file is for: Kafka's definitions of its settings check their values. */
    enum Client {
        PRODUCER(ProducerConfig.configDef()),
        CONSUMER(ConsumerConfig.configDef());

        private final ConfigDef definitions;

        Client(ConfigDef definitions) {
            this.definitions = definitions;
        }
    }

    private KafkaConfigFile() {
    }

    /**
     * The settings in {@code file} for {@code client}, in file order; empty without a file.
     *
     * @throws CommandLine.ParameterException (exit 2, one line) if the file cannot be read or holds a refused key,
     *     a value Kafka rejects, a malformed line or a key twice
     */
    static Map<String, String> read(Path file, Client client, CommandLine.Model.CommandSpec command) {
        if (file == null) {
            return Map.of();
        }
        List<KafkaProperties.Setting> settings;
        try {
            settings = parse(file);
        } catch (ConfigFile.ConfigException e) {
            throw new CommandLine.ParameterException(command.commandLine(), OPTION + " " + e.getMessage());
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (KafkaProperties.Setting s : settings) {
            String where = OPTION + " " + file + ":" + s.line() + ": " + s.key();
            if (REFUSED.contains(s.key())) {
                throw new CommandLine.ParameterException(command.commandLine(), where + " is set by fleettap"
                        + hint(s.key()) + ", not by this file");
            }
            String problem = problem(client, s);
            if (problem != null) {
                throw new CommandLine.ParameterException(command.commandLine(), where + ": " + problem);
            }
            if (!KNOWN.contains(s.key())) {
                List<String> near = Suggestions.closest(s.key(), KNOWN);
                log.warn("{}: not a Kafka client setting{}; passed on as it is", where,
                        near.isEmpty() ? "" : " (did you mean " + near.get(0) + "?)");
            }
            values.put(s.key(), s.value());
        }
        log.debug("Kafka client settings from {}: {}", file, KafkaProperties.describe(settings));
        return values;
    }

    private static List<KafkaProperties.Setting> parse(Path file) throws ConfigFile.ConfigException {
        byte[] bytes;
        try {
            if (Files.isRegularFile(file) && Files.size(file) > KafkaProperties.MAX_BYTES) {
                throw new ConfigFile.ConfigException(file + ": more than " + KafkaProperties.MAX_BYTES + " bytes");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigFile.ConfigException(file + ": no such file");
        } catch (IOException e) {
            throw new ConfigFile.ConfigException(file + ": cannot read it ("
                    + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()) + ")");
        }
        return KafkaProperties.parse(file.toString(), bytes);
    }

    /** Why Kafka's definition of the setting rejects its value, or null; a secret value is not repeated. */
    private static String problem(Client client, KafkaProperties.Setting s) {
        ConfigDef.ConfigKey definition = client.definitions.configKeys().get(s.key());
        if (definition == null) {
            return null;
        }
        try {
            Object value = ConfigDef.parseType(s.key(), s.value(), definition.type);
            if (definition.validator != null) {
                definition.validator.ensureValid(s.key(), value);
            }
            return null;
        } catch (ConfigException e) {
            String message = e.getMessage();
            if (KafkaProperties.isSecret(s.key()) && !s.value().isEmpty()) {
                message = message.replace(s.value(), KafkaProperties.HIDDEN);
            }
            return message;
        }
    }

    private static String hint(String key) {
        return switch (key) {
            case CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG -> " (give it with --kafka)";
            case ConsumerConfig.GROUP_ID_CONFIG -> " (give it with --kafka-group)";
            case ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, ProducerConfig.ACKS_CONFIG,
                    ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                    ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG -> " (exactly-once delivery rests on it)";
            default -> "";
        };
    }

    private static Set<String> refused() {
        Set<String> all = new TreeSet<>(KafkaTransportConfig.fixedSettings());
        all.addAll(KafkaIngestConfig.fixedSettings());
        return Set.copyOf(all);
    }

    private static Set<String> known() {
        Set<String> all = new TreeSet<>(ProducerConfig.configNames());
        all.addAll(ConsumerConfig.configNames());
        all.addAll(AdminClientConfig.configNames());
        return Set.copyOf(all);
    }
}
