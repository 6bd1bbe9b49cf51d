package org.fleettap.agent.script;

/** How bad a diagnostic is: only errors stop compilation. */
public enum Severity {
    ERROR, WARNING;

    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
