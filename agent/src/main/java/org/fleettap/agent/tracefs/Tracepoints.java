package org.fleettap.agent.tracefs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/** The kernel's tracepoints as tracefs lists and describes them. Names are "system:event". */
public final class Tracepoints {
    private final Tracefs tracefs;

    public Tracepoints(Tracefs tracefs) {
        this.tracefs = Objects.requireNonNull(tracefs, "tracefs");
    }

    /** The event id of {@code name} ("system:event"), the perf config of a tracepoint event. */
    public long id(String name) throws IOException {
        String dir = eventDir(name);
        String text = read(name, dir + "/id");
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw new IOException("reading id of tracepoint " + name + ": not a number: '" + text.strip() + "'", e);
        }
    }

    /** The record layout of {@code name} ("system:event"). */
    public TracepointFormat format(String name) throws IOException {
        String dir = eventDir(name);
        String text = read(name, dir + "/format");
        try {
            return TracepointFormat.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IOException("parsing format of tracepoint " + name + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code name} ("system:event") exists. */
    public boolean exists(String name) {
        return Files.isDirectory(tracefs.path(eventDir(name)));
    }

    /**
     * Every event tracefs knows, "system:event", sorted: from {@code available_events}, or by walking
     * {@code events/} when that file is missing.
     */
    public List<String> all() throws IOException {
        Optional<String> available = tracefs.readIfExists("available_events");
        TreeSet<String> names = new TreeSet<>();
        if (available.isPresent()) {
            for (String line : available.get().split("\n")) {
                String n = line.strip();
                if (!n.isEmpty()) {
                    names.add(n);
                }
            }
            return List.copyOf(names);
        }
        Path events = tracefs.path("events");
        try (DirectoryStream<Path> systems = Files.newDirectoryStream(events, Files::isDirectory)) {
            for (Path system : systems) {
                try (DirectoryStream<Path> evs = Files.newDirectoryStream(system,
                        p -> Files.isRegularFile(p.resolve("format")))) {
                    for (Path ev : evs) {
                        names.add(system.getFileName() + ":" + ev.getFileName());
                    }
                }
            }
        } catch (IOException e) {
            throw new IOException("listing tracepoints under " + events + ": " + e.getMessage(), e);
        }
        return List.copyOf(names);
    }

    private String read(String name, String relative) throws IOException {
        try {
            return tracefs.read(relative);
        } catch (NoSuchFileException e) {
            throw new UnknownTracepointException(name, tracefs.path(relative).toString());
        } catch (IOException e) {
            throw new IOException("reading " + tracefs.path(relative) + " for tracepoint " + name + ": "
                    + e.getMessage(), e);
        }
    }

    /** {@code events/SYSTEM/EVENT}, refusing names that would leave the events directory. */
    static String eventDir(String name) {
        Objects.requireNonNull(name, "name");
        int colon = name.indexOf(':');
        if (colon <= 0 || colon == name.length() - 1 || name.indexOf(':', colon + 1) >= 0) {
            throw new IllegalArgumentException("tracepoint name '" + name + "' is not of the form system:event");
        }
        String system = name.substring(0, colon);
        String event = name.substring(colon + 1);
        for (String part : new String[] {system, event}) {
            if (part.equals(".") || part.equals("..") || !part.chars().allMatch(Tracepoints::nameChar)) {
                throw new IllegalArgumentException("tracepoint name '" + name + "' has an invalid part '" + part
                        + "'");
            }
        }
        return "events/" + system + "/" + event;
    }

    private static boolean nameChar(int c) {
        return c > ' ' && c < 0x7f && c != '/' && c != '\\';
    }

    @Override
    public String toString() {
        return "tracepoints of " + tracefs;
    }
}
