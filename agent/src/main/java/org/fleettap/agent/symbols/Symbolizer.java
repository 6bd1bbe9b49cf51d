package org.fleettap.agent.symbols;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.fleettap.agent.dwarf.LineRow;
import org.fleettap.agent.elf.ElfFile;

/**
 * Runtime addresses of traced processes → function, offset and source line: the module from the process's
 * mappings, the function from its symbol tables, the line from DWARF, with separate debug files found by
 * build-id or debuglink, or given explicitly ({@code -d FILE}, matched by build-id).
 */
public final class Symbolizer {
    private final ModuleTracker modules;
    private final DebugFiles debugFiles;
    private final Map<String, ElfFile> extraByBuildId = new ConcurrentHashMap<>();
    private final Map<Path, ModuleSymbols> byPath = new ConcurrentHashMap<>();

    public Symbolizer(ModuleTracker modules, DebugFiles debugFiles) {
        this.modules = modules;
        this.debugFiles = debugFiles;
    }

    /**
     * Adds a file with symbols or debug information (stap's {@code -d}): used for any module with the same
     * build-id. Returns false when the file is not ELF or has no build-id.
     */
    public boolean addSymbolFile(Path file) {
        Optional<ElfFile> elf = modules.cache().elf(file);
        if (elf.isEmpty() || elf.get().buildId().isEmpty()) {
            return false;
        }
        extraByBuildId.put(elf.get().buildId().get(), elf.get());
        return true;
    }

    public ModuleTracker modules() {
        return modules;
    }

    /** The frame of runtime {@code address} in process {@code pid}; unknown parts are left empty. */
    public Frame symbolize(int pid, long address) {
        Optional<LoadedModule> module = modules.find(pid, address);
        if (module.isEmpty()) {
            return new Frame(address, null, -1, null, 0, null, 0);
        }
        LoadedModule m = module.get();
        long vaddr = m.toLinkTime(address);
        ModuleSymbols syms = symbols(m.path(), pid);
        if (syms == null) {
            return new Frame(address, m.path(), vaddr, null, 0, null, 0);
        }
        Optional<FunctionIndex.Hit> fn = syms.function(vaddr, m.path());
        Optional<LineRow> line = syms.line(vaddr, m.path());
        return new Frame(address, m.path(), vaddr, fn.map(FunctionIndex.Hit::name).orElse(null),
                fn.map(FunctionIndex.Hit::offset).orElse(0L), line.map(LineRow::file).orElse(null),
                line.map(LineRow::line).orElse(0));
    }

    /**
     * stap's usymdata: the data object holding runtime {@code address} in {@code pid} as
     * {@code name+0xOFFSET/0xSIZE [MODULE]}; without a covering symbol, the offset in the module and its path;
     * outside every module, the address in hex.
     */
    public String symbolizeData(int pid, long address) {
        Optional<LoadedModule> module = modules.findImage(pid, address);
        String hex = "0x" + Long.toHexString(address);
        if (module.isEmpty()) {
            return hex;
        }
        LoadedModule m = module.get();
        long vaddr = m.toLinkTime(address);
        ModuleSymbols syms = symbols(m.path(), pid);
        Optional<FunctionIndex.Hit> object = syms == null ? Optional.empty() : syms.object(vaddr);
        if (object.isEmpty()) {
            return hex + " [" + m.path() + "+0x" + Long.toHexString(vaddr) + "]";
        }
        FunctionIndex.Hit h = object.get();
        return h.name() + "+0x" + Long.toHexString(h.offset()) + "/0x" + Long.toHexString(h.size()) + " ["
                + m.path() + "]";
    }

    /** Frames for a list of return addresses (frame 0 is the sampled pc, the rest are return addresses). */
    public List<Frame> symbolize(int pid, long[] pcs, int count) {
        List<Frame> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            // A return address points after the call: look up the call instruction itself for the line.
            long pc = pcs[i];
            Frame f = symbolize(pid, i == 0 ? pc : pc - 1);
            out.add(i == 0 ? f : f.withAddress(pc));
        }
        return out;
    }

    private ModuleSymbols symbols(Path path, int pid) {
        return byPath.computeIfAbsent(path, p -> {
            Optional<ElfFile> binary = modules.open(pid, p);
            if (binary.isEmpty()) {
                return null;
            }
            return modules.cache().derived(binary.get(), "symbols", elf -> ModuleSymbols.of(elf, debugFile(p, elf)));
        });
    }

    private Optional<ElfFile> debugFile(Path path, ElfFile binary) {
        Optional<String> id = binary.buildId();
        if (id.isPresent() && extraByBuildId.containsKey(id.get())) {
            return Optional.of(extraByBuildId.get(id.get()));
        }
        return debugFiles.find(path, binary).flatMap(p -> modules.cache().elf(p));
    }

    /**
     * One symbolized address. {@code module} is null when the address is in no mapped file; {@code function}
     * null when no symbol covers it; {@code file} null without line information.
     */
    public record Frame(long address, Path module, long linkTimeAddress, String function, long offset, String file,
            int line) {

        Frame withAddress(long a) {
            return new Frame(a, module, linkTimeAddress, function, offset, file, line);
        }

        /** stap's usymname: the function's name, or the address in hex. */
        public String name() {
            return function != null ? function : "0x" + Long.toHexString(address);
        }

        /**
         * stap's usymfileline: "file:line" with the file's base name ("file:?" where the line table gives line 0,
         * as addr2line prints it), or the address in hex.
         */
        public String fileLine() {
            if (file == null) {
                return "0x" + Long.toHexString(address);
            }
            int slash = file.lastIndexOf('/');
            return file.substring(slash + 1) + ":" + (line == 0 ? "?" : Integer.toString(line));
        }
    }
}
