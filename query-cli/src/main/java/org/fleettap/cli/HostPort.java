package org.fleettap.cli;

import picocli.CommandLine;

/**
 * A network address as users write it: {@code HOST:PORT}, with an IPv6 host in brackets ({@code [::1]:7420}). The
 * port is required: there is no default to guess.
 */
record HostPort(String host, int port) {

    HostPort {
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host is empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not in 1..65535");
        }
    }

    /** Parses {@code HOST:PORT}; the message of the exception says what is wrong, in one line. */
    static HostPort parse(String text) {
        String t = text.strip();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT");
        }
        String host = t.substring(0, colon);
        String port = t.substring(colon + 1);
        if (host.startsWith("[") != host.endsWith("]")) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (an IPv6 host goes in brackets)");
        }
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (an IPv6 host goes in brackets: "
                    + "[::1]:7420)");
        }
        if (host.isEmpty() || host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@')) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (bad host '" + host + "')");
        }
        if (!port.chars().allMatch(c -> c >= '0' && c <= '9') || port.length() > 5
                || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (port '" + port
                    + "' is not a number in 1..65535)");
        }
        return new HostPort(host, Integer.parseInt(port));
    }

    /** The address as gRPC's and Kafka's clients take it. */
    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** For picocli options. */
    static final class Converter implements CommandLine.ITypeConverter<HostPort> {
        @Override
        public HostPort convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
