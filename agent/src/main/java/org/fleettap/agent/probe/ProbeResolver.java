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
import org.fleettap.agent.demangle.Demangler;
import org.fleettap.agent.dwarf.DebugInfo;
import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.dwarf.DwarfType;
import org.fleettap.agent.dwarf.EntryArgument;
import org.fleettap.agent.dwarf.ParameterLocations;
import org.fleettap.agent.dwarf.Function;
import org.fleettap.agent.dwarf.LineNotFoundException;
import org.fleettap.agent.dwarf.LineRow;
import org.fleettap.agent.dwarf.LineSpec;
import org.fleettap.agent.dwarf.LineTable;
import org.fleettap.agent.dwarf.SourceLines;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.elf.ElfFormatException;
import org.fleettap.agent.elf.ElfSymbol;
import org.fleettap.agent.elf.SdtNote;
import org.fleettap.agent.feature.KernelFeatures;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.symbols.DebugFiles;
import org.fleettap.agent.symbols.ModuleCache;
import org.fleettap.agent.symbols.ModuleSymbols;
import org.fleettap.agent.target.Executables;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.tracefs.FetchArg;
import org.fleettap.agent.tracefs.FetchLocation;
import org.fleettap.agent.tracefs.FetchType;
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
    private final Map<Path, ModuleSymbols> debug = new HashMap<>();
    private final ModuleCache moduleCache = new ModuleCache();
    private DebugFiles debugFiles = DebugFiles.system();
    private Tracepoints tracepoints;

    private ProbeResolver(Target target) {
        this.target = target;
    }

    /** A resolver for probes on {@code target} (which names the binary of a bare {@code process.function}). */
    public static ProbeResolver forTarget(Target target) {
        return new ProbeResolver(target);
    }

    /** Where separate debug information is looked for (the system's /usr/lib/debug by default). */
    public ProbeResolver withDebugFiles(DebugFiles files) {
        this.debugFiles = files;
        return this;
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
        if (what.argument() == null && what.name().equals("begin")) {
            expectEnd(point, 2);
            return List.of(processStart(point, binary, elf));
        }
        if (what.argument() == null && what.name().equals("end")) {
            throw new ProbeException("probe point '" + point + "': a process's end is a script probe (fleettap run)");
        }
        String arg = what.stringArgument().orElseThrow(() -> new ProbeException("probe point '" + point + "': "
                + what.name() + " needs a quoted name, e.g. " + what.name() + "(\"main\")"));
        switch (what.name()) {
            case "function":
                return functions(point, binary, elf, arg, suffix(point, 2, "call", "return"));
            case "mark":
                expectEnd(point, 2);
                return marks(point, binary, elf, arg);
            case "statement":
                expectEnd(point, 2);
                return statements(point, binary, elf, arg);
            default:
                throw new ProbeException("probe point '" + point + "': unknown process probe '." + what.name()
                        + "' (expected function or mark)");
        }
    }

    /**
     * {@code process("PATH").begin}: the program's entry point (ELF e_entry, after the dynamic loader has run), hit
     * once in every process that starts running PATH. A library has no entry point of its own.
     */
    public UprobeSite processStart(ProbePoint point, Path binary, ElfFile elf) throws ProbeException {
        if (elf.entry() == 0) {
            throw new ProbeException("probe point '" + point + "': " + binary + " has no entry point (a library?): "
                    + "only a program has a begin and an end");
        }
        try {
            return new UprobeSite(point, "begin", binary, elf.fileOffset(elf.entry()), false, 0, List.of(), List.of());
        } catch (ElfFormatException e) {
            throw new ProbeException(binary + ": entry point 0x" + Long.toHexString(elf.entry()) + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * {@code function("GLOB")} or {@code function("GLOB@FILE")}: every function symbol whose name or, for C++,
     * demangled qualified name ({@code ManProcessor::setState}) matches; with a file, only functions whose entry
     * is in that source file (from the line table).
     */
    private List<ProbeSite> functions(ProbePoint point, Path binary, ElfFile elf, String spec, String suffix)
            throws ProbeException {
        int at = spec.indexOf('@');
        String pattern = at < 0 ? spec : spec.substring(0, at);
        String file = at < 0 ? null : spec.substring(at + 1);
        Glob glob = Glob.of(pattern);
        boolean ret = "return".equals(suffix);
        LineTable lines = file == null ? null : lineTable(point, binary, elf);
        Map<Long, String> byAddress = new LinkedHashMap<>();
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        List<ElfSymbol> symbols = new ArrayList<>(elf.functions());
        // A stripped binary's functions are in its separate debug file's symbol table (same addresses).
        symbols(binary, elf).debugFile().ifPresent(d -> symbols.addAll(d.functions()));
        for (ElfSymbol s : symbols) {
            if (!s.isDefined() || s.value() == 0) {
                continue;
            }
            String pretty = Demangler.functionName(s.name()).orElse(s.name());
            names.add(pretty);
            if ((glob.matches(s.name()) || glob.matches(pretty)) && (file == null || inFile(binary, lines, s.value(), file))) {
                byAddress.putIfAbsent(s.value(), pretty);
            }
        }
        if (byAddress.isEmpty()) {
            throw new ProbeException("no function matches '" + spec + "' in " + binary
                    + Suggestions.hint(pattern, names));
        }
        List<ProbeSite> sites = new ArrayList<>();
        for (Map.Entry<Long, String> e : byAddress.entrySet()) {
            sites.add(new UprobeSite(point, "function(\"" + e.getValue() + "\")", binary,
                    fileOffset(binary, elf, e.getKey(), e.getValue()), ret, 0, List.of(), List.of()));
        }
        return sites;
    }

    private static boolean inFile(Path binary, LineTable lines, long address, String file) throws ProbeException {
        try {
            Optional<LineRow> row = lines.lookup(address);
            return row.isPresent() && fileMatches(row.get().file(), file);
        } catch (DwarfFormatException e) {
            throw new ProbeException(binary + ": reading its line table: " + e.getMessage(), e);
        }
    }

    /** "lines.c" matches "/src/x/lines.c" at a '/' boundary; globs allowed. */
    static boolean fileMatches(String path, String file) {
        Glob g = Glob.of(file);
        if (g.matches(path)) {
            return true;
        }
        for (int i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
            if (g.matches(path.substring(i + 1))) {
                return true;
            }
        }
        return false;
    }

    /** {@code statement("FUNC@FILE:LINE")}: the statement addresses of that line, within matching functions. */
    private List<ProbeSite> statements(ProbePoint point, Path binary, ElfFile elf, String spec)
            throws ProbeException {
        LineSpec line;
        try {
            line = LineSpec.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new ProbeException("probe point '" + point + "': " + e.getMessage());
        }
        LineTable lines = lineTable(point, binary, elf);
        List<LineRow> rows;
        try {
            if (line.anyFunction()) {
                rows = new SourceLines(lines).statements(line);
            } else {
                DebugInfo info = symbols(binary, elf).info().orElseThrow(() -> new ProbeException(
                        "probe point '" + point + "': " + binary + " has no DWARF debugging information"));
                Glob fn = Glob.of(line.function());
                List<Function> fns = new ArrayList<>();
                for (Function f : info.functions()) {
                    if (glob(fn, f.name()) || glob(fn, f.qualifiedName())) {
                        fns.add(f);
                    }
                }
                rows = new SourceLines(lines).statements(line,
                        a -> fns.stream().anyMatch(f -> f.contains(a)));
            }
        } catch (LineNotFoundException e) {
            throw new ProbeException("probe point '" + point + "': " + e.getMessage());
        } catch (DwarfFormatException e) {
            throw new ProbeException(binary + ": " + e.getMessage(), e);
        }
        List<ProbeSite> sites = new ArrayList<>();
        for (LineRow r : rows) {
            String name = "statement(\"" + spec + "\")";
            sites.add(new UprobeSite(point, name, binary, fileOffset(binary, elf, r.address(), name), false, 0,
                    List.of(), List.of()));
        }
        return sites;
    }

    private static boolean glob(Glob g, String name) {
        return name != null && !name.isEmpty() && g.matches(name);
    }

    private static long fileOffset(Path binary, ElfFile elf, long vaddr, String what) throws ProbeException {
        try {
            return elf.fileOffset(vaddr);
        } catch (ElfFormatException e) {
            throw new ProbeException(binary + ": " + what + ": " + e.getMessage(), e);
        }
    }

    private ModuleSymbols symbols(Path binary, ElfFile elf) {
        return debug.computeIfAbsent(binary, b -> ModuleSymbols.load(b, elf, debugFiles, moduleCache));
    }

    private LineTable lineTable(ProbePoint point, Path binary, ElfFile elf) throws ProbeException {
        return symbols(binary, elf).lines().orElseThrow(() -> new ProbeException("probe point '" + point + "': "
                + binary + " has no line table (.debug_line), in itself or a separate debug file: build it with -g"
                + " or install its debug information"));
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

    /**
     * The same sites, with function entries set to read their parameters in the probe (tracefs fetch args from
     * the DWARF parameters and the SysV x86-64 ABI: {@code char *} as a string, other pointers in hex, integers by
     * size and sign). Parameters the ABI does not pass in an integer register at entry are left out; see
     * {@link #unreadableParameters}.
     */
    public List<ProbeSite> withFunctionArguments(List<ProbeSite> sites) throws ProbeException {
        List<ProbeSite> out = new ArrayList<>();
        for (ProbeSite s : sites) {
            List<FetchArg> args = s instanceof UprobeSite u && u.name().startsWith("function(") && !u.retprobe()
                    && u.fetchArgs().isEmpty() ? functionArguments(u) : List.of();
            out.add(args.isEmpty() ? s : ((UprobeSite) s).withFetchArgs(args));
        }
        return out;
    }

    private List<FetchArg> functionArguments(UprobeSite u) throws ProbeException {
        ElfFile elf = elf(u.binary(), u.point());
        Optional<DebugInfo> info = symbols(u.binary(), elf).info();
        Optional<Long> vaddr = vaddrOf(elf, u.fileOffset());
        if (info.isEmpty() || vaddr.isEmpty()) {
            return List.of();
        }
        try {
            Optional<Function> f = info.get().functionAt(vaddr.get()).filter(fn -> fn.entryPc() == vaddr.get());
            if (f.isEmpty()) {
                return List.of();
            }
            List<FetchArg> args = new ArrayList<>();
            java.util.Set<String> used = new java.util.HashSet<>();
            int position = 0;
            for (EntryArgument a : ParameterLocations.atEntry(info.get(), f.get())) {
                position++;
                if (!a.isReadable()) {
                    continue;
                }
                String name = a.name() != null && a.name().matches("[A-Za-z_][A-Za-z0-9_]*")
                        && !a.name().startsWith("common_") && !a.name().startsWith("__probe") && used.add(a.name())
                        ? a.name() : "arg" + position;
                FetchLocation where = a.placement() == EntryArgument.Placement.REGISTER
                        ? FetchLocation.register(UsdtArguments.ptRegsName(a.register()))
                        : FetchLocation.deref(a.stackOffset(), FetchLocation.register("sp"));
                DwarfType t = a.parameter().type().resolved();
                if (isCString(t)) {
                    args.add(FetchArg.of(name, FetchLocation.deref(0, where), FetchType.STRING));
                } else {
                    args.add(FetchArg.of(name, where, fetchType(t)));
                }
            }
            return args;
        } catch (DwarfFormatException e) {
            throw new ProbeException(u.binary() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A function's return probe set to fetch its return value as the field "retval" ({@code $return}): typed from
     * DWARF where there is debug information (int as s32, pointers in hex, ...), else as a signed 64-bit rax. A
     * function whose value the ABI does not return in rax (double, a struct in memory) is a one-line error.
     */
    public UprobeSite withReturnValue(UprobeSite u) throws ProbeException {
        if (!u.retprobe()) {
            throw new ProbeException(u.describe() + ": $return is only available in .return probes");
        }
        ElfFile elf = elf(u.binary(), u.point());
        Optional<DebugInfo> info = symbols(u.binary(), elf).info();
        Optional<Long> vaddr = vaddrOf(elf, u.fileOffset());
        FetchType type = FetchType.S64;
        if (info.isPresent() && vaddr.isPresent()) {
            try {
                Optional<Function> f = info.get().functionAt(vaddr.get()).filter(fn -> fn.entryPc() == vaddr.get());
                if (f.isPresent()) {
                    org.fleettap.agent.dwarf.ReturnValue rv = ParameterLocations.returnValue(info.get(), f.get());
                    if (rv.reason() != null && !rv.reason().isEmpty()) {
                        throw new ProbeException(u.describe() + ": " + rv.reason());
                    }
                    if (rv.type() != null && !rv.type().isVoid()) {
                        type = fetchType(rv.type().resolved());
                    }
                }
            } catch (DwarfFormatException e) {
                throw new ProbeException(u.binary() + ": " + e.getMessage(), e);
            }
        }
        List<FetchArg> args = new ArrayList<>(u.fetchArgs());
        args.add(FetchArg.of("retval", FetchLocation.retval(), type));
        return u.withFetchArgs(args);
    }

    /**
     * How a function entry site reads {@code $param}, {@code $param->m1->m2...} or {@code &$param->m1...} in the
     * probe: the parameter's place at entry (SysV x86-64 ABI, names and types from DWARF), every {@code ->} that
     * follows a pointer one more kernel memory read, members of embedded structs an added offset.
     */
    public TargetAccess targetAccess(UprobeSite u, String param, List<String> members, boolean addressOf)
            throws ProbeException {
        String spelling = (addressOf ? "&$" : "$") + param + members.stream().map(m -> "->" + m)
                .reduce("", String::concat);
        if (!u.name().startsWith("function(") || u.retprobe()) {
            throw new ProbeException("'" + spelling + "' can only be read at a function's entry, not at "
                    + u.describe());
        }
        ElfFile elf = elf(u.binary(), u.point());
        Optional<DebugInfo> info = symbols(u.binary(), elf).info();
        Optional<Long> vaddr = vaddrOf(elf, u.fileOffset());
        if (info.isEmpty() || vaddr.isEmpty()) {
            throw new ProbeException("'" + spelling + "' needs DWARF debug information for " + u.binary()
                    + " (none found; install its debug package), or read raw arguments with uint_arg(N)/"
                    + "pointer_arg(N)");
        }
        try {
            Optional<Function> f = info.get().functionAt(vaddr.get()).filter(fn -> fn.entryPc() == vaddr.get());
            if (f.isEmpty()) {
                throw new ProbeException(u.describe() + ": no DWARF function starts at this address");
            }
            EntryArgument arg = null;
            List<String> names = new ArrayList<>();
            for (EntryArgument a : ParameterLocations.atEntry(info.get(), f.get())) {
                names.add(a.name());
                if (param.equals(a.name())) {
                    arg = a;
                }
            }
            if (arg == null) {
                throw new ProbeException(f.get().qualifiedName() + " has no parameter '" + param + "' (it has: "
                        + (names.isEmpty() ? "none" : String.join(", ", names)) + ")");
            }
            if (!arg.isReadable()) {
                throw new ProbeException("'$" + param + "' cannot be read at the entry of "
                        + f.get().qualifiedName() + ": " + arg.reason());
            }
            FetchLocation value = arg.placement() == EntryArgument.Placement.REGISTER
                    ? FetchLocation.register(UsdtArguments.ptRegsName(arg.register()))
                    : FetchLocation.deref(arg.stackOffset(), FetchLocation.register("sp"));
            DwarfType type = arg.parameter().type().resolved();
            if (members.isEmpty()) {
                if (addressOf) {
                    throw new ProbeException("'" + spelling + "': a parameter at entry is in a register, it has "
                            + "no address");
                }
                return new TargetAccess(value, fetchType(type), 0);
            }
            return memberAccess(spelling, "$" + param, value, type, members, addressOf);
        } catch (DwarfFormatException e) {
            throw new ProbeException(u.binary() + ": " + e.getMessage(), e);
        }
    }

    /** {@code pointer->m1->m2...}: the object is at {@code base + offset}; each pointer followed is a read. */
    private static TargetAccess memberAccess(String spelling, String path, FetchLocation pointer, DwarfType type,
            List<String> members, boolean addressOf) throws DwarfFormatException, ProbeException {
        if (!isPointer(type)) {
            throw new ProbeException("'" + spelling + "': " + path + " is not a pointer (" + type.printableName()
                    + ")");
        }
        FetchLocation base = pointer;
        long offset = 0;
        DwarfType object = type.target().resolved();
        for (String m : members) {
            if (isPointer(object)) { // '->' on a member that is itself a pointer: follow it
                base = FetchLocation.deref(offset, base);
                offset = 0;
                object = object.target().resolved();
            }
            if (object.kind() != DwarfType.Kind.STRUCT && object.kind() != DwarfType.Kind.CLASS
                    && object.kind() != DwarfType.Kind.UNION) {
                throw new ProbeException("'" + spelling + "': " + path + " is not a struct, union or class ("
                        + object.printableName() + "), it has no member '" + m + "'");
            }
            Optional<org.fleettap.agent.dwarf.Member> member = object.member(m);
            if (member.isEmpty()) {
                throw new ProbeException("'" + spelling + "': " + object.printableName() + " has no member '" + m
                        + "'");
            }
            if (member.get().isBitField()) {
                throw new ProbeException("'" + spelling + "': '" + m + "' is a bit field, which a probe cannot read");
            }
            offset += member.get().offset();
            object = member.get().type().resolved();
            path = path + "->" + m;
        }
        if (addressOf || object.kind() == DwarfType.Kind.ARRAY) {
            return new TargetAccess(base, FetchType.X64, offset); // an array is its address, as in C
        }
        if (object.kind() == DwarfType.Kind.STRUCT || object.kind() == DwarfType.Kind.CLASS
                || object.kind() == DwarfType.Kind.UNION) {
            throw new ProbeException("'" + spelling + "' is a " + object.printableName() + ": read one of its "
                    + "members, or take its address with '&'");
        }
        return new TargetAccess(FetchLocation.deref(offset, base), fetchType(object), 0);
    }

    private static boolean isPointer(DwarfType t) throws DwarfFormatException {
        return (t.kind() == DwarfType.Kind.POINTER || t.kind() == DwarfType.Kind.REFERENCE
                || t.kind() == DwarfType.Kind.RVALUE_REFERENCE) && t.target() != null;
    }

    /**
     * The N-th integer argument (1-based) of a function at its entry, by the SysV x86-64 ABI alone (no debug
     * information): rdi, rsi, rdx, rcx, r8, r9, then the stack above the return address; read as {@code type}
     * (uint_arg is u32, pointer_arg and ulong_arg u64, int_arg s32, long_arg s64).
     */
    public static TargetAccess abiArgument(int n, FetchType type) throws ProbeException {
        String[] registers = {"di", "si", "dx", "cx", "r8", "r9"};
        if (n < 1) {
            throw new ProbeException("argument number " + n + " (arguments count from 1)");
        }
        FetchLocation where = n <= registers.length ? FetchLocation.register(registers[n - 1])
                : FetchLocation.deref(8L * (n - registers.length), FetchLocation.register("sp"));
        return new TargetAccess(where, type, 0);
    }

    /**
     * The place of a USDT mark's argument {@code $argN} (1-based), for reading memory through it; a constant
     * argument has no place.
     */
    public TargetAccess markArgument(UprobeSite u, int n) throws ProbeException {
        if (n < 1 || n > u.markArgs().size()) {
            throw new ProbeException(u.describe() + " has " + u.markArgs().size() + " arguments, no $arg" + n);
        }
        FetchArg a = UsdtArguments.fetchArgs(u, elf(u.binary(), u.point())).stream()
                .filter(f -> f.name().equals("arg" + n)).findFirst().orElseThrow(() -> new ProbeException(
                        u.describe() + ": $arg" + n + " is a constant, not an address"));
        return new TargetAccess(a.location(), a.type().orElse(FetchType.U64), 0);
    }

    /** Why each parameter of a function site that cannot be read at entry is left out (one line each). */
    public List<String> unreadableParameters(UprobeSite u) throws ProbeException {
        ElfFile elf = elf(u.binary(), u.point());
        Optional<DebugInfo> info = symbols(u.binary(), elf).info();
        Optional<Long> vaddr = vaddrOf(elf, u.fileOffset());
        List<String> out = new ArrayList<>();
        if (info.isEmpty() || vaddr.isEmpty()) {
            return out;
        }
        try {
            Optional<Function> f = info.get().functionAt(vaddr.get());
            if (f.isPresent()) {
                for (EntryArgument a : ParameterLocations.atEntry(info.get(), f.get())) {
                    if (!a.isReadable()) {
                        out.add(a.reason());
                    }
                }
            }
        } catch (DwarfFormatException e) {
            throw new ProbeException(u.binary() + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static boolean isCString(DwarfType t) throws DwarfFormatException {
        if (t.kind() != DwarfType.Kind.POINTER || t.target() == null) {
            return false;
        }
        DwarfType pointee = t.target().resolved();
        return pointee.kind() == DwarfType.Kind.BASE && (pointee.encoding() == DwarfType.Encoding.SIGNED_CHAR
                || pointee.encoding() == DwarfType.Encoding.UNSIGNED_CHAR) && pointee.byteSize().orElse(0) == 1;
    }

    private static FetchType fetchType(DwarfType t) throws DwarfFormatException {
        if (t.kind() != DwarfType.Kind.BASE && t.kind() != DwarfType.Kind.ENUM) {
            return FetchType.X64; // pointers, references: addresses, shown in hex
        }
        boolean signed = t.encoding() == DwarfType.Encoding.SIGNED || t.encoding() == DwarfType.Encoding.SIGNED_CHAR
                || (t.kind() == DwarfType.Kind.ENUM);
        switch ((int) t.byteSize().orElse(8)) {
            case 1: return signed ? FetchType.S8 : FetchType.U8;
            case 2: return signed ? FetchType.S16 : FetchType.U16;
            case 4: return signed ? FetchType.S32 : FetchType.U32;
            default: return signed ? FetchType.S64 : FetchType.U64;
        }
    }

    /** The link-time address of a file offset, through the PT_LOAD that holds it. */
    private static Optional<Long> vaddrOf(ElfFile elf, long fileOffset) {
        for (org.fleettap.agent.elf.ProgramHeader ph : elf.programHeaders()) {
            if (ph.isLoad() && fileOffset >= ph.offset() && fileOffset < ph.offset() + ph.filesz()) {
                return Optional.of(fileOffset - ph.offset() + ph.vaddr());
            }
        }
        return Optional.empty();
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
            // A bare name is the -c/-x target's executable when it has that name (stap -c ./loop with
            // process("loop")), else a program on $PATH, else a file of that name running processes map (the -x
            // target's first): process("libc.so.6") is the C library the host's programs use.
            Optional<Path> targetExe = target instanceof Target.AllProcesses ? Optional.empty()
                    : Optional.of(targetExecutable(point)).filter(t -> t.getFileName().toString().equals(name));
            java.util.OptionalInt first = target instanceof Target.Process tp ? java.util.OptionalInt.of(tp.pid())
                    : java.util.OptionalInt.empty();
            p = targetExe.or(() -> Executables.onPath(name)).or(() -> MappedFiles.find(Paths.get("/proc"), name,
                    first)).orElseThrow(() -> new ProbeException("process(\"" + name + "\"): no such program in $PATH, "
                    + "and no running process maps a file of that name"));
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
            Path exe = first.contains("/") ? Paths.get(first) : Executables.onPath(first).orElseThrow(
                    () -> new ProbeException("command '" + first + "': no such program in $PATH"));
            try {
                return exe.toRealPath();
            } catch (IOException e) {
                throw new ProbeException(first + ": no such file");
            }
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
