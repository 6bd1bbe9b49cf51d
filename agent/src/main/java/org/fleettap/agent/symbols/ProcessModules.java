package org.fleettap.agent.symbols;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.unwind.Module;

/**
 * The files mapped executable into one process, with their load biases: which module a runtime address belongs
 * to. A snapshot of /proc/PID/maps; take a new one after the process maps more code.
 */
public final class ProcessModules {
    private final List<LoadedModule> modules;

    private ProcessModules(List<LoadedModule> modules) {
        this.modules = List.copyOf(modules);
    }

    /** Reads /proc/PID/maps and the ELF headers of its files (through {@code cache}). */
    public static ProcessModules of(int pid, ModuleCache cache) throws IOException {
        String maps = Files.readString(Paths.get("/proc", Integer.toString(pid), "maps"));
        return of(ProcMaps.parse(maps), cache, Paths.get("/proc", Integer.toString(pid), "root"));
    }

    /**
     * The executable file mappings of {@code mappings}. {@code root} prefixes their paths (a process in another
     * mount namespace sees its files under /proc/PID/root).
     */
    static ProcessModules of(List<Mapping> mappings, ModuleCache cache, Path root) {
        List<LoadedModule> out = new ArrayList<>();
        for (Mapping m : mappings) {
            if (!m.executable() || !m.isFile()) {
                continue;
            }
            Path path = Paths.get(m.path());
            Path reachable = root == null ? path : root.resolve(m.path().substring(1));
            if (!Files.isRegularFile(reachable)) {
                reachable = path;
            }
            Optional<ElfFile> elf = cache.elf(reachable);
            if (elf.isEmpty()) {
                continue;
            }
            bias(elf.get(), m).ifPresent(b -> out.add(new LoadedModule(path, b, m.start(), m.end())));
        }
        return new ProcessModules(out);
    }

    /** bias = start − (vaddr of the mapping's first byte), through the PT_LOAD that holds its file offset. */
    static Optional<Long> bias(ElfFile elf, Mapping m) {
        OptionalLong b = Module.loadBias(elf, m.start(), m.offset());
        return b.isPresent() ? Optional.of(b.getAsLong()) : Optional.empty();
    }

    /** The module holding runtime {@code address}. */
    public Optional<LoadedModule> find(long address) {
        for (LoadedModule m : modules) {
            if (m.contains(address)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    public List<LoadedModule> modules() {
        return modules;
    }
}
