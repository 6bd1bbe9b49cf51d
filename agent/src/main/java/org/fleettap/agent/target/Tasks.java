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

    /** The processes running {@code binary} now (their /proc/PID/exe is that file). */
    public static java.util.Set<Integer> running(Path binary) {
        java.util.Set<Integer> out = new java.util.TreeSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Paths.get("/proc"), p -> p.getFileName().toString()
                .chars().allMatch(Character::isDigit))) {
            for (Path p : ds) {
                try {
                    if (Files.isSameFile(p.resolve("exe"), binary)) {
                        out.add(Integer.parseInt(p.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // gone, a kernel thread, or not ours to read
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    /**
     * The parent process and the real and effective user ids of a running process, from /proc/PID/status; empty
     * when the process is gone.
     */
    public static java.util.Optional<Credentials> credentials(int pid) {
        try {
            return java.util.Optional.of(Credentials.parseStatus(new String(
                    Files.readAllBytes(Paths.get("/proc", Integer.toString(pid), "status")), StandardCharsets.UTF_8)));
        } catch (IOException | IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    /** Who a process is: its parent, real and effective uid (the "PPid:" and "Uid:" lines of /proc/PID/status). */
    public record Credentials(int ppid, int uid, int euid) {
        /** Parses the text of /proc/PID/status. */
        public static Credentials parseStatus(String status) {
            Integer ppid = null;
            Integer uid = null;
            Integer euid = null;
            for (String line : status.split("\n")) {
                if (line.startsWith("PPid:")) {
                    ppid = Integer.parseInt(line.substring(5).strip());
                } else if (line.startsWith("Uid:")) {
                    String[] ids = line.substring(4).strip().split("\\s+");
                    uid = Integer.parseInt(ids[0]);
                    euid = Integer.parseInt(ids[1]);
                }
            }
            if (ppid == null || uid == null) {
                throw new IllegalArgumentException("no PPid: or Uid: line in the status text");
            }
            return new Credentials(ppid, uid, euid);
        }
    }
}
