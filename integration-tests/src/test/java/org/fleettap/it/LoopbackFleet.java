package org.fleettap.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A collector and agent daemons as processes on loopback, for the fleet's end-to-end tests: each process is named, its
 * stdout and stderr go to NAME.out and NAME.err in the test's directory; closing stops every one (SIGTERM, then
 * SIGKILL after 20 s).
 */
final class LoopbackFleet implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final List<Process> processes = new ArrayList<>();
    private final Map<String, Process> named = new LinkedHashMap<>();

    /** Files go to {@code dir}; the collector is to listen on a free loopback port. */
    LoopbackFleet(Path dir) throws IOException {
        this.dir = dir;
        try (ServerSocket s = new ServerSocket(0)) {
            this.port = s.getLocalPort();
        }
    }

    /** The collector's HOST:PORT. */
    String address() {
        return "127.0.0.1:" + port;
    }

    /** Starts {@code fleettap ARGS} as process {@code name}. */
    Process start(String name, String... args) throws IOException {
        Process p = Fleettap.start(dir.resolve(name + ".out").toFile(), dir.resolve(name + ".err").toFile(), args);
        processes.add(p);
        named.put(name, p);
        return p;
    }

    /** The process last started as {@code name}. */
    Process process(String name) {
        return named.get(name);
    }

    /** The names of the processes started so far. */
    Set<String> names() {
        return named.keySet();
    }

    String out(String name) {
        return Fleettap.read(dir.resolve(name + ".out").toFile());
    }

    String err(String name) {
        return Fleettap.read(dir.resolve(name + ".err").toFile());
    }

    /** A collector with its store in DIR/data ({@code more}: further arguments); returns once it listens. */
    Process collector(String name, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("collector", "--listen", address(), "--data",
                dir.resolve("data").toString()));
        args.addAll(List.of(more));
        Process p = start(name, args.toArray(new String[0]));
        Fleettap.waitFor(() -> out(name).contains("collector listening on"), name + " to listen");
        return p;
    }

    /** An agent daemon for host {@code hostId} ({@code more}: further arguments); returns once it registered. */
    Process agent(String name, String hostId, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("agent", "--collector", address(), "--host-id", hostId,
                "--spool", dir.resolve("spool-" + hostId).toString(), "--state",
                dir.resolve("state-" + hostId).toString()));
        args.addAll(List.of(more));
        Process p = start(name, args.toArray(new String[0]));
        Fleettap.waitFor(() -> err(name).contains("registered with the collector"), name + " to register");
        return p;
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
