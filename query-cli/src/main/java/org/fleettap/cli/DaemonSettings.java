package org.fleettap.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.fleettap.agent.script.Suggestions;
import org.fleettap.cli.config.ConfigFile;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Settings of the daemons ({@code fleettap agent}, {@code fleettap collector}) from three places: flags win, then
 * {@code FLEETTAP_*} environment variables ({@code FLEETTAP_SPOOL_MAX} for {@code --spool-max}), then the YAML
 * file given by {@code --config} or {@code FLEETTAP_CONFIG} (keys are the long option names: {@code spool-max:
 * 64MiB}). What the flags leave unset becomes more arguments for picocli, so every value is checked and converted
 * by the option's own converter — each on its own first, so that a bad one is reported where it was written
 * ({@code agent.yaml:4:12: spool-max: bad size 'lots'}, {@code FLEETTAP_SPOOL_MAX: ...}).
 */
final class DaemonSettings {
    static final String CONFIG_OPTION = "--config";
    static final String CONFIG_ENV = "FLEETTAP_CONFIG";
    static final String ENV_PREFIX = "FLEETTAP_";
    /** Options that are not settings. */
    private static final Set<String> NOT_SETTINGS = Set.of("--help", "--version", CONFIG_OPTION);

    /** Reads a config file; an interface so that tests need no files. */
    @FunctionalInterface
    interface ConfigReader {
        byte[] read(Path path) throws IOException;
    }

    /** A setting that cannot be used; the message says where it was written and why. */
    static final class SettingsException extends Exception {
        private static final long serialVersionUID = 1L;

        SettingsException(String message) {
            super(message);
        }
    }

    private DaemonSettings() {
    }

    /**
     * Whether the daemon is to log verbosely: -v/--verbose, FLEETTAP_VERBOSE or the config file's {@code verbose}.
     * Read before logging is set up, so it reads no more than that (a bad file is reported later, by {@link #merge}).
     */
    static boolean verbose(List<String> args, Map<String, String> env) {
        if (Logging.isVerbose(args.toArray(new String[0]))) {
            return true;
        }
        String fromEnv = env.get(ENV_PREFIX + "VERBOSE");
        if (fromEnv != null) {
            return isTrue(fromEnv);
        }
        String config = given(args, CONFIG_OPTION);
        if (config == null) {
            config = env.get(CONFIG_ENV);
        }
        if (config == null) {
            return false;
        }
        try {
            for (ConfigFile.Setting s : ConfigFile.parse(config, Files.readAllBytes(Path.of(config)))) {
                if (s.key().equals("verbose")) {
                    return isTrue(s.value());
                }
            }
        } catch (IOException | ConfigFile.ConfigException | RuntimeException e) {
            return false;
        }
        return false;
    }

    private static boolean isTrue(String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            default -> false;
        };
    }

    /** {@code args} (what follows the command's name) with what the environment and the config file add. */
    static List<String> merge(CommandSpec command, List<String> args, Map<String, String> env) throws SettingsException {
        return merge(command, args, env, Files::readAllBytes);
    }

    static List<String> merge(CommandSpec command, List<String> args, Map<String, String> env, ConfigReader files)
            throws SettingsException {
        Map<String, OptionSpec> options = new TreeMap<>();
        for (OptionSpec o : command.options()) {
            if (!NOT_SETTINGS.contains(o.longestName()) && o.longestName().startsWith("--")) {
                options.put(o.longestName().substring(2), o);
            }
        }
        // key -> (value, where it came from); the environment overrides the file.
        Map<String, String[]> chosen = new LinkedHashMap<>();
        String config = given(args, CONFIG_OPTION);
        String configWhere = CONFIG_OPTION;
        if (config == null && env.get(CONFIG_ENV) != null) {
            config = env.get(CONFIG_ENV);
            configWhere = CONFIG_ENV;
        }
        if (config != null) {
            for (ConfigFile.Setting s : read(configWhere, Path.of(config), files)) {
                if (!options.containsKey(s.key())) {
                    List<String> near = Suggestions.closest(s.key(), options.keySet());
                    throw new SettingsException(s.where().replaceFirst(":\\d+:\\d+$", "") + ": unknown setting '"
                            + s.key() + "'" + (near.isEmpty() ? "" : " (did you mean '" + near.get(0) + "'?)")
                            + "; settings are the long options of 'fleettap " + command.name() + "'");
                }
                chosen.put(s.key(), new String[] {s.value(), s.where()});
            }
        }
        for (String key : options.keySet()) {
            String name = ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('-', '_');
            if (env.get(name) != null) {
                chosen.put(key, new String[] {env.get(name), name});
            }
        }
        List<String> added = new ArrayList<>();
        for (Map.Entry<String, String[]> e : chosen.entrySet()) {
            OptionSpec o = options.get(e.getKey());
            if (givenAnyName(args, o)) {
                continue; // the flag wins
            }
            List<String> pair = asArgs(o, e.getValue()[0], e.getValue()[1]);
            check(command, pair, e.getKey(), e.getValue()[1]);
            added.addAll(pair);
        }
        List<String> merged = new ArrayList<>(added);
        merged.addAll(args);
        return merged;
    }

    private static List<ConfigFile.Setting> read(String where, Path path, ConfigReader files) throws SettingsException {
        byte[] bytes;
        try {
            bytes = files.read(path);
        } catch (NoSuchFileException e) {
            throw new SettingsException(where + " " + path + ": no such file");
        } catch (IOException e) {
            throw new SettingsException(where + " " + path + ": cannot read it (" + e.getMessage() + ")");
        }
        try {
            return ConfigFile.parse(path.toString(), bytes);
        } catch (ConfigFile.ConfigException e) {
            throw new SettingsException(e.getMessage());
        }
    }

    private static List<String> asArgs(OptionSpec o, String value, String where) throws SettingsException {
        String name = o.longestName();
        if (o.arity().max() == 0) {
            if (isTrue(value)) {
                return List.of(name);
            }
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "false", "no", "off", "0" -> List.of();
                default -> throw new SettingsException(where + ": " + name.substring(2) + ": expected true or false, "
                        + "not '" + value + "'");
            };
        }
        return List.of(name, value);
    }

    /** Parses the one option alone, with the command's own converters; says where a bad value was written. */
    private static void check(CommandSpec command, List<String> pair, String key, String where)
            throws SettingsException {
        if (pair.isEmpty()) {
            return;
        }
        CommandLine alone = new CommandLine(command.userObject().getClass());
        try {
            alone.parseArgs(pair.toArray(new String[0]));
        } catch (CommandLine.MissingParameterException e) {
            // Other required options are not given here; this one parsed.
            if (e.getMissing().stream().anyMatch(a -> a instanceof OptionSpec o && o.longestName().equals("--" + key))) {
                throw new SettingsException(where + ": " + key + ": " + e.getMessage());
            }
        } catch (CommandLine.ParameterException e) {
            String m = e.getMessage().replaceFirst("^Invalid value for option '[^']*': ", "");
            throw new SettingsException(where + ": " + key + ": " + m);
        }
    }

    /** The value of {@code name} in {@code args} ({@code --name V} or {@code --name=V}), else null. */
    private static String given(List<String> args, String name) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals(name) && i + 1 < args.size()) {
                return args.get(i + 1);
            }
            if (a.startsWith(name + "=")) {
                return a.substring(name.length() + 1);
            }
        }
        return null;
    }

    private static boolean givenAnyName(List<String> args, OptionSpec o) {
        for (String a : args) {
            for (String n : o.names()) {
                if (a.equals(n) || a.startsWith(n + "=")) {
                    return true;
                }
            }
        }
        return false;
    }
}
