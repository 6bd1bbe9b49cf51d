package org.fleettap.it;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One simulated host on this machine: its own network namespace, joined to the root namespace by a veth pair (the
 * namespace's end is its {@code eth0}, its default route goes through the root end), and its own PID namespace with
 * its own /proc, held by a sleeping init. Processes started here ({@link #start}, {@link #run}) see only this host's
 * processes and reach the root namespace only through the veth, as on a real host.
 *
 * <p>Names carry the owning JVM's pid ({@code ftmh-<pid>-<n>}, veth {@code ftmh<pid>x<n>}), so that concurrent runs
 * do not collide and {@link #removeStale()} can remove what a killed run left behind: namespaces whose owner is gone,
 * with every process still in them.
 */
final class NamespaceHost implements AutoCloseable {
    private static final String PREFIX = "ftmh";
    private static final long OWNER = ProcessHandle.current().pid();

    private final String name;
    private final String netns;
    private final String veth;
    private final String outerIp;
    private final String innerIp;
    private final Process holder;
    private final long initPid;
    private boolean closed;

    private NamespaceHost(String name, String netns, String veth, String outerIp, String innerIp, Process holder,
            long initPid) {
        this.name = name;
        this.netns = netns;
        this.veth = veth;
        this.outerIp = outerIp;
        this.innerIp = innerIp;
        this.holder = holder;
        this.initPid = initPid;
    }

    /**
     * Creates host number {@code index} (1..63) named {@code name}: the namespaces, the veth pair with a /30 of its
     * own, and the PID namespace's init. On failure, what was made is removed.
     */
    static NamespaceHost create(String name, int index) throws IOException, InterruptedException {
        if (index < 1 || index > 63) {
            throw new IllegalArgumentException("host index out of 1..63: " + index);
        }
        String netns = PREFIX + "-" + OWNER + "-" + index;
        String veth = PREFIX + Long.toString(OWNER, 36) + "x" + index;
        // 10.(128..191).(0..255).(4*index)/30, from the owner's pid: concurrent runs use different subnets.
        String net = "10." + (128 + (OWNER >> 8) % 64) + "." + (OWNER & 255) + ".";
        String outer = net + (4 * index + 1);
        String inner = net + (4 * index + 2);
        Process holder = null;
        try {
            ip("netns", "add", netns);
            ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns);
            ip("addr", "add", outer + "/30", "dev", veth);
            ip("link", "set", veth, "up");
            ip("-n", netns, "link", "set", "lo", "up");
            ip("-n", netns, "addr", "add", inner + "/30", "dev", "eth0");
            ip("-n", netns, "link", "set", "eth0", "up");
            ip("-n", netns, "route", "add", "default", "via", outer);
            // ip netns exec execs unshare, which forks the PID namespace's init (pid 1 there) and mounts its /proc.
            holder = new ProcessBuilder("ip", "netns", "exec", netns, "unshare", "--pid", "--fork", "--mount-proc",
                    "--kill-child", "sleep", "infinity").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long init = awaitInit(holder);
            return new NamespaceHost(name, netns, veth, outer, inner, holder, init);
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            if (holder != null) {
                holder.destroyForcibly();
            }
            removeQuietly(netns, veth);
            throw e;
        }
    }

    /** The init unshare forked, once it runs sleep (its /proc is mounted by then). */
    private static long awaitInit(Process holder) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> child = holder.toHandle().children().findFirst();
            if (child.isPresent() && "sleep".equals(read("/proc/" + child.get().pid() + "/comm").strip())) {
                return child.get().pid();
            }
            if (!holder.isAlive()) {
                throw new AssertionError("unshare exited with status " + holder.exitValue());
            }
            Thread.sleep(10);
        }
        throw new AssertionError("timed out waiting for the PID namespace's init");
    }

    String name() {
        return name;
    }

    /** This host's address, as the root namespace sees it. */
    String innerIp() {
        return innerIp;
    }

    /** The root namespace's end of this host's veth: a daemon listening here is reachable from every host. */
    String outerIp() {
        return outerIp;
    }

    /** The PID namespace's init, as the root namespace numbers it. */
    long initPid() {
        return initPid;
    }

    /**
     * Starts {@code command} inside this host (network, PID and mount namespaces) with {@code env} added to the
     * environment; output to the given files. The returned process is nsenter; the command is its only child.
     */
    Process start(List<String> command, Map<String, String> env, File out, File err) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(enter(command)).directory(Fleettap.ROOT.toFile())
                .redirectOutput(out).redirectError(err);
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Runs {@code command} inside this host to its end (at most 60 s); returns its exit status. */
    int run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(enter(command)).directory(Fleettap.ROOT.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(name + ": " + command + " did not finish in 60 s");
        }
        return p.exitValue();
    }

    /** {@code command} as a command line that runs it inside this host. */
    List<String> enter(List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--target", Long.toString(initPid), "--net", "--pid",
                "--mount", "--"));
        cmd.addAll(command);
        return cmd;
    }

    /** The processes in this host's network namespace, as the root namespace numbers them. */
    List<Long> pids() {
        return pidsIn(netns);
    }

    /** Kills every process of this host, removes the veth pair and the namespaces. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        holder.destroyForcibly();
        removeQuietly(netns, veth);
    }

    /**
     * Removes the namespaces and veths that runs no longer alive left behind (a run killed before its cleanup), with
     * every process in them.
     */
    static void removeStale() {
        for (String ns : run("ip", "netns", "list").lines().map(l -> l.split(" ")[0]).toList()) {
            String[] parts = ns.split("-");
            if (parts.length == 3 && parts[0].equals(PREFIX) && !alive(parts[1])) {
                removeQuietly(ns, null);
            }
        }
        for (String line : run("ip", "-o", "link", "show").lines().toList()) {
            String[] fields = line.split(":\\s+");
            if (fields.length < 2) {
                continue;
            }
            String dev = fields[1].split("@")[0];
            int x = dev.lastIndexOf('x');
            if (dev.startsWith(PREFIX) && x > PREFIX.length()
                    && !alive(Long.toString(Long.parseLong(dev.substring(PREFIX.length(), x), 36)))) {
                run("ip", "link", "del", dev);
            }
        }
    }

    private static boolean alive(String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return true; // not one of ours: leave it
        }
    }

    private static void removeQuietly(String netns, String veth) {
        // Processes first: a namespace whose processes live on is not freed by 'ip netns del'.
        for (int round = 0; round < 5; round++) {
            List<Long> pids = pidsIn(netns);
            if (pids.isEmpty()) {
                break;
            }
            pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (veth != null) {
            run("ip", "link", "del", veth); // gone already when the namespace went first
        }
        run("ip", "netns", "del", netns);
    }

    private static List<Long> pidsIn(String netns) {
        return run("ip", "netns", "pids", netns).lines().filter(l -> !l.isBlank()).map(l -> Long.parseLong(l.strip()))
                .toList();
    }

    private static void ip(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + out.strip());
        }
    }

    /** Runs a command to its end; its stdout, "" when it failed (cleanup goes on). */
    private static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path));
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public String toString() {
        return name + " (netns " + netns + ", " + innerIp + ", init pid " + initPid + ")";
    }
}
