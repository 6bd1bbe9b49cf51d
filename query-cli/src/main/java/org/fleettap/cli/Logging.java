package org.fleettap.cli;

/**
 * Sets up slf4j-simple before the first logger: warnings only (none from Kafka's clients), or debug with
 * --verbose/-v. The agent daemon ({@code fleettap agent}) also logs its life at info level (registered, sessions
 * started and ended, stopping), with the time.
 */
final class Logging {
    private Logging() {
    }

    static void configure(String[] args) {
        boolean verbose = isVerbose(args);
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "warn");
        setDefault("org.slf4j.simpleLogger.logFile", "System.err");
        setDefault("org.slf4j.simpleLogger.showThreadName", "false");
        setDefault("org.slf4j.simpleLogger.showShortLogName", "true");
        setDefault("org.slf4j.simpleLogger.levelInBrackets", "true");
        if (!verbose) {
            // Kafka's clients log each failed connection (a wrong password, a broker down) again at every retry;
            // the agent's transport and the collector's ingest report those failures themselves, once, with Kafka's
            // reason. --verbose shows the clients' own log.
            setDefault("org.slf4j.simpleLogger.log.org.apache.kafka", "off");
        }
        if (args.length > 0 && args[0].equals("agent")) {
            setDefault("org.slf4j.simpleLogger.showDateTime", "true");
            setDefault("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
            if (!verbose) {
                setDefault("org.slf4j.simpleLogger.log.org.fleettap.agent.daemon", "info");
                setDefault("org.slf4j.simpleLogger.log.org.fleettap.cli", "info");
            }
        }
    }

    static boolean isVerbose(String[] args) {
        for (String a : args) {
            if (a.equals("-v") || a.equals("--verbose")) {
                return true;
            }
            if (a.equals("--")) {
                break;
            }
        }
        return false;
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
