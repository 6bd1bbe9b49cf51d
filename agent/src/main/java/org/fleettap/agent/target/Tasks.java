package org.fleettap.agent.target;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** Reading processes, threads and CPUs from /proc and /sys. */
public final class Tasks {
    private Tasks() {
    }

    /** The thread ids of {@code pid}, from /proc/PID/task. */
    public static List<Integer> threadsOf(int pid) throws TargetException {
        Path dir = Paths.get("/proc", Integer.toString(pid), "task");
        TreeSet<Integer> tids = new TreeSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                tids.add(Integer.parseInt(p.getFileName().toString()));
            }
        } catch (IOException | NumberFormatException e) {
            throw new TargetException("no such process: " + pid);
        }
        return new ArrayList<>(tids);
    }

    public static boolean isAlive(long pid) {
        return Files.isDirectory(Paths.get("/proc", Long.toString(pid)));
    }

    /** The online CPUs, from /sys/devices/system/cpu/online (e.g. "0-3,6"). */
    public static List<Integer> onlineCpus() {
        try {
            String s = new String(Files.readAllBytes(Paths.get("/sys/devices/system/cpu/online")),
                    StandardCharsets.US_ASCII);
            return parseCpuList(s);
        } catch (IOException e) {
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
                all.add(i);
            }
            return all;
        }
    }

    /** Parses the kernel's CPU list format: "0-3,6,8-9". */
    public static List<Integer> parseCpuList(String s) {
        List<Integer> cpus = new ArrayList<>();
        for (String part : s.strip().split(",")) {
            if (part.isEmpty()) {
                continue;
            }
            int dash = part.indexOf('-');
            if (dash < 0) {
                cpus.add(Integer.parseInt(part));
            } else {
                int lo = Integer.parseInt(part.substring(0, dash));
                int hi = Integer.parseInt(part.substring(dash + 1));
                for (int c = lo; c <= hi; c++) {
                    cpus.add(c);
                }
            }
        }
        return cpus;
    }

    /** The executable of a running process (/proc/PID/exe), for naming it in messages. */
    public static String execName(int pid) {
        try {
            return new String(Files.readAllBytes(Paths.get("/proc", Integer.toString(pid), "comm")),
                    StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "?";
        }
    }
}
