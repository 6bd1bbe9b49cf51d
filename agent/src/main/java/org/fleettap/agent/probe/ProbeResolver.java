package org.fleettap.agent.probe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.elf.ElfFormatException;
import org.fleettap.agent.elf.ElfSymbol;
import org.fleettap.agent.elf.SdtNote;
import org.fleettap.agent.feature.KernelFeatures;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.target.Executables;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.tracefs.Tracefs;
import org.fleettap.agent.tracefs.Tracepoints;

/**
 * Resolves probe points to probe sites: binaries by path or $PATH, functions by glob over the ELF symbol tables,
 * USDT marks from {@code .note.stapsdt}, tracepoints and syscalls from tracefs. Every failure names what the user
 * wrote and, where it can, the closest names that exist.
 */
public final class ProbeResolver {
    /** timer.profile samples each CPU at the scheduler tick rate stap uses by default (250 Hz). */
    static final long PROFILE_PERIOD_NANOS = 4_000_000;

    private final Target target;
    private final Map<Path, ElfFile> elves = new HashMap<>();
    private Tracepoints tracepoints;

    private ProbeResolver(Target target) {
        this.target = target;
    }

    /** A resolver for probes on {@code target} (which names the binary of a bare {@code process.function}). */
    public static ProbeResolver forTarget(Target target) {
        return new ProbeResolver(target);
    }

    public List<ProbeSite> resolve(ProbePoint point) throws ProbeException, MissingFeatureException {
        String kind = point.first().name();
        switch (kind) {
            case "process":
                return process(point);
            case "kernel":
                return kernel(point);
            case "syscall":
                return syscall(point);
            case "timer":
                return timer(point);
            default:
                throw new ProbeException("probe point '" + point + "': unknown kind '" + kind
                        + "' (expected process, kernel, syscall or timer)");
        }
    }

    // ---- process("PATH").function("GLOB")[.call|.return], process("PATH").mark("NAME")

    private List<ProbeSite> process(ProbePoint point) throws ProbeException {
        Path binary = binaryOf(point);
        ElfFile elf = elf(binary, point);
        ProbePoint.Component what = point.at(1).orElseThrow(() -> new ProbeException("probe point '" + point
                + "': expected .function(\"NAME\") or .mark(\"NAME\") after process(...)"));
        String arg = what.stringArgument().orElseThrow(() -> new ProbeException("probe point '" + point + "': "
                + what.name() + " needs a quoted name, e.g. " + what.name() + "(\"main\")"));
        switch (what.name()) {
            case "function":
                return functions(point, binary, elf, arg, suffix(point, 2, "call", "return"));
            case "mark":
                expectEnd(point, 2);
                return marks(point, binary, elf, arg);
            case "statement":
                throw new ProbeException("probe point '" + point + "': .statement needs the DWARF line tables, "
                        + "which this version does not read yet");
            default:
                throw new ProbeException("probe point '" + point + "': unknown process probe '." + what.name()
                        + "' (expected function or mark)");
        }
    }

    private List<ProbeSite> functions(ProbePoint point, Path binary, ElfFile elf, String pattern, String suffix)
            throws ProbeException {
        Glob glob = Glob.of(pattern);
        boolean ret = "return".equals(suffix);
        Map<Long, ElfSymbol> byAddress = new LinkedHashMap<>();
        for (ElfSymbol s : elf.functions()) {
            if (s.isDefined() && s.value() != 0 && glob.matches(s.name())) {
                byAddress.putIfAbsent(s.value(), s);
            }
        }
        if (byAddress.isEmpty()) {
            throw new ProbeException("no function matches '" + pattern + "' in " + binary
                    + Suggestions.hint(pattern, elf.functionNames()));
        }
        List<ProbeSite> sites = new ArrayList<>();
        for (ElfSymbol s : byAddress.values()) {
            long offset;
            try {
                offset = elf.fileOffset(s.value());
            } catch (ElfFormatException e) {
                throw new ProbeException(binary + ": function " + s.name() + ": " + e.getMessage(), e);
            }
            sites.add(new UprobeSite(point, "function(\"" + s.name() + "\")", binary, offset, ret, 0, List.of(),
                    List.of()));
        }
        return sites;
    }

    private List<ProbeSite> marks(ProbePoint point, Path binary, ElfFile elf, String pattern) throws ProbeException {
        List<SdtNote> notes;
        try {
            notes = elf.sdtNotes();
        } catch (ElfFormatException e) {
            throw new ProbeException(binary + ": " + e.getMessage(), e);
        }
        Glob glob = Glob.of(pattern);
        List<ProbeSite> sites = new ArrayList<>();
        TreeSet<String> names = new TreeSet<>();
        for (SdtNote n : notes) {
            names.add(n.name());
            if (glob.matches(n.name()) || glob.matches(n.qualifiedName())) {
                sites.add(new UprobeSite(point, "mark(\"" + n.qualifiedName() + "\")", binary, n.fileOffset(), false,
                        n.semaphoreFileOffset(), List.of(), n.args()));
            }
        }
        if (sites.isEmpty()) {
            throw new ProbeException("no USDT mark matches '" + pattern + "' in " + binary
                    + (notes.isEmpty() ? " (it has no .note.stapsdt section)" : Suggestions.hint(pattern, names)));
        }
        return sites;
    }

    /**
     * The same sites, with USDT marks set to read their arguments in the probe (memory operands need tracefs
     * fetch args; so, for one decoding path, do register operands).
     */
    public List<ProbeSite> withMarkArguments(List<ProbeSite> sites) throws ProbeException {
        List<ProbeSite> out = new ArrayList<>();
        for (ProbeSite s : sites) {
            if (s instanceof UprobeSite u && !u.markArgs().isEmpty()) {
                out.add(u.withFetchArgs(UsdtArguments.fetchArgs(u, elf(u.binary(), u.point()))));
            } else {
                out.add(s);
            }
        }
        return out;
    }

    private Path binaryOf(ProbePoint point) throws ProbeException {
        Optional<String> named = point.first().stringArgument();
        if (named.isEmpty()) {
            return targetExecutable(point);
        }
        String name = named.get();
        Path p;
        if (name.contains("/")) {
            p = Paths.get(name);
        } else {
            p = Executables.onPath(name).orElseThrow(() -> new ProbeException("process(\"" + name + "\"): no such program "
                    + "in $PATH"));
        }
        try {
            return p.toRealPath();
        } catch (NoSuchFileException e) {
            throw new ProbeException(name + ": no such file");
        } catch (IOException e) {
            throw new ProbeException(name + ": " + e.getMessage(), e);
        }
    }

    private Path targetExecutable(ProbePoint point) throws ProbeException {
        if (target instanceof Target.Process p) {
            try {
                return Paths.get("/proc", Integer.toString(p.pid()), "exe").toRealPath();
            } catch (IOException e) {
                throw new ProbeException("probe point '" + point + "': cannot read the executable of pid "
                        + p.pid() + ": " + e.getMessage(), e);
            }
        }
        if (target instanceof Target.Command c) {
            String first = c.commandLine().strip().split("\\s+", 2)[0].replace("'", "").replace("\"", "");
            return binaryOf(new ProbePoint(List.of(new ProbePoint.Component("process", first))));
        }
        throw new ProbeException("probe point '" + point + "': a bare 'process' needs a target (-c CMD or -x PID)");
    }

    private ElfFile elf(Path binary, ProbePoint point) throws ProbeException {
        ElfFile cached = elves.get(binary);
        if (cached != null) {
            return cached;
        }
        if (Files.isDirectory(binary)) {
            throw new ProbeException(binary + ": is a directory, not an ELF file");
        }
        try {
            ElfFile elf = ElfFiles.map(binary);
            elves.put(binary, elf);
            return elf;
        } catch (ElfFormatException e) {
            String msg = e.getMessage();
            throw new ProbeException(msg.startsWith(binary.toString()) ? msg : binary + ": " + msg, e);
        } catch (IOException e) {
            throw new ProbeException(binary + ": " + e.getMessage(), e);
        }
    }

    // ---- kernel.trace("SYS:EV"), kernel.function("F")

    private List<ProbeSite> kernel(ProbePoint point) throws ProbeException, MissingFeatureException {
        ProbePoint.Component what = point.at(1).orElseThrow(() -> new ProbeException("probe point '" + point
                + "': expected kernel.trace(\"SYSTEM:EVENT\") or kernel.function(\"NAME\")"));
        switch (what.name()) {
            case "trace": {
                expectEnd(point, 2);
                String name = what.stringArgument().orElseThrow(() -> new ProbeException("probe point '" + point
                        + "': kernel.trace needs \"SYSTEM:EVENT\""));
                return List.of(tracepoint(point, name));
            }
            case "function": {
                KernelFeatures.system().kprobePmu();
                String name = what.stringArgument().orElseThrow(() -> new ProbeException("probe point '" + point
                        + "': kernel.function needs a quoted function name"));
                boolean ret = "return".equals(suffix(point, 2, "call", "return"));
                return List.of(new KprobeSite(point, name, ret));
            }
            default:
                throw new ProbeException("probe point '" + point + "': unknown kernel probe '." + what.name()
                        + "' (expected trace or function)");
        }
    }

    private TracepointSite tracepoint(ProbePoint point, String name) throws ProbeException, MissingFeatureException {
        int colon = name.indexOf(':');
        if (colon <= 0 || colon == name.length() - 1) {
            throw new ProbeException("probe point '" + point + "': tracepoint '" + name
                    + "' must be written SYSTEM:EVENT, e.g. sched:sched_switch");
        }
        Tracepoints tp = tracepoints();
        if (!tp.exists(name)) {
            List<String> all;
            try {
                all = tp.all();
            } catch (IOException e) {
                all = List.of();
            }
            throw new ProbeException("no tracepoint " + name + " in tracefs" + Suggestions.hint(name, all));
        }
        return new TracepointSite(point, name.substring(0, colon), name.substring(colon + 1));
    }

    private Tracepoints tracepoints() throws ProbeException, MissingFeatureException {
        if (tracepoints == null) {
            try {
                tracepoints = new Tracepoints(Tracefs.locate());
            } catch (IOException e) {
                throw new ProbeException(e.getMessage(), e);
            }
        }
        return tracepoints;
    }

    // ---- syscall.NAME[.return]

    private List<ProbeSite> syscall(ProbePoint point) throws ProbeException, MissingFeatureException {
        ProbePoint.Component name = point.at(1).orElseThrow(() -> new ProbeException("probe point '" + point
                + "': expected syscall.NAME, e.g. syscall.futex"));
        boolean ret = "return".equals(suffix(point, 2, "return"));
        String event = (ret ? "sys_exit_" : "sys_enter_") + name.name();
        Tracepoints tp = tracepoints();
        if (!tp.exists("syscalls:" + event)) {
            List<String> names = new ArrayList<>();
            try {
                for (String n : tp.all()) {
                    if (n.startsWith("syscalls:sys_enter_")) {
                        names.add(n.substring("syscalls:sys_enter_".length()));
                    }
                }
            } catch (IOException e) {
                // No suggestions then.
            }
            throw new ProbeException("no system call '" + name.name() + "' (no tracepoint syscalls:" + event + ")"
                    + Suggestions.hint(name.name(), names));
        }
        return List.of(new TracepointSite(point, "syscalls", event));
    }

    // ---- timer.profile

    private List<ProbeSite> timer(ProbePoint point) throws ProbeException {
        ProbePoint.Component what = point.at(1).orElseThrow(() -> new ProbeException("probe point '" + point
                + "': expected timer.profile"));
        if (what.name().equals("profile")) {
            expectEnd(point, 2);
            return List.of(new CpuClockSite(point, PROFILE_PERIOD_NANOS));
        }
        throw new ProbeException("probe point '" + point + "': timer." + what.name()
                + " is a script timer, not something the kernel counts; use timer.profile");
    }

    // ---- helpers

    /** The optional last component at {@code index}, which must be one of {@code allowed}; null when absent. */
    private static String suffix(ProbePoint point, int index, String... allowed) throws ProbeException {
        Optional<ProbePoint.Component> c = point.at(index);
        if (c.isEmpty()) {
            return null;
        }
        expectEnd(point, index + 1);
        for (String a : allowed) {
            if (a.equals(c.get().name()) && !c.get().hasArgument()) {
                return a;
            }
        }
        throw new ProbeException("probe point '" + point + "': unexpected '." + c.get() + "' (expected ."
                + String.join(" or .", allowed) + ")");
    }

    private static void expectEnd(ProbePoint point, int size) throws ProbeException {
        if (point.size() > size) {
            throw new ProbeException("probe point '" + point + "': unexpected '." + point.components().get(size)
                    + "'");
        }
    }
}
