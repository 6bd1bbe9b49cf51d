package org.fleettap.cli;

/** Sets up slf4j-simple before the first logger: warnings only, or debug with --verbose/-v. */
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
