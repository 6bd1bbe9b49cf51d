package org.fleettap.agent.symbols;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.fleettap.agent.elf.ElfFile;

/**
 * Which files each traced process has mapped, kept up to date from the kernel's side-band records (MMAP2 on
 * every executable mapping, COMM with exec, FORK, EXIT) so that addresses can be symbolized after the process
 * has gone. Processes that were already running when tracing began are seeded from /proc/PID/maps on first use.
 */
public final class ModuleTracker {
    private static final int PROT_EXEC = 4;

    private final ModuleCache cache;
    private final Map<Integer, List<LoadedModule>> byPid = new ConcurrentHashMap<>();

    public ModuleTracker(ModuleCache cache) {
        this.cache = cache;
    }

    public ModuleCache cache() {
        return cache;
    }

    /** An executable mapping (PERF_RECORD_MMAP2): {@code len} bytes of {@code path} from {@code pgoff} at {@code addr}. */
    public void onMmap(int pid, long addr, long len, long pgoff, int prot, String path) {
        if ((prot & PROT_EXEC) == 0 || !path.startsWith("/")) {
            return;
        }
        Mapping m = new Mapping(addr, addr + len, "r-xp", pgoff, 1, path);
        Optional<ElfFile> elf = open(pid, Paths.get(path));
        if (elf.isEmpty()) {
            return;
        }
        ProcessModules.bias(elf.get(), m).ifPresent(bias -> {
            List<LoadedModule> list = byPid.computeIfAbsent(pid, p -> new ArrayList<>());
            synchronized (list) {
                list.removeIf(old -> old.start() < m.end() && m.start() < old.end());
                list.add(new LoadedModule(Paths.get(path), bias, m.start(), m.end()));
            }
        });
    }

    /** exec replaced the process image: its old mappings are gone (MMAP2 records for the new image follow). */
    public void onExec(int pid) {
        byPid.put(pid, new ArrayList<>());
    }

    /** A new process starts with a copy of its parent's mappings. */
    public void onFork(int parentPid, int childPid) {
        if (parentPid == childPid) {
            return; // a new thread shares the process's mappings
        }
        List<LoadedModule> parent = byPid.get(parentPid);
        if (parent != null) {
            synchronized (parent) {
                byPid.put(childPid, new ArrayList<>(parent));
            }
        }
    }

    /** The module holding {@code address} in {@code pid}, seeding from /proc/PID/maps for unknown processes. */
    public Optional<LoadedModule> find(int pid, long address) {
        List<LoadedModule> list = byPid.get(pid);
        if (list == null) {
            list = seed(pid);
        }
        synchronized (list) {
            for (LoadedModule m : list) {
                if (m.contains(address)) {
                    return Optional.of(m);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The module whose loaded image (any PT_LOAD segment, .data and .bss included, not only its code) holds
     * {@code address} in {@code pid}.
     */
    public Optional<LoadedModule> findImage(int pid, long address) {
        List<LoadedModule> list = byPid.get(pid);
        if (list == null) {
            list = seed(pid);
        }
        List<LoadedModule> copy;
        synchronized (list) {
            copy = new ArrayList<>(list);
        }
        for (LoadedModule m : copy) {
            if (m.contains(address)) {
                return Optional.of(m);
            }
            Optional<ElfFile> elf = open(pid, m.path());
            long vaddr = m.toLinkTime(address);
            if (elf.isPresent() && elf.get().programHeaders().stream().anyMatch(ph -> ph.isLoad()
                    && Long.compareUnsigned(vaddr - ph.vaddr(), ph.memsz()) < 0)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    private List<LoadedModule> seed(int pid) {
        List<LoadedModule> list = new ArrayList<>();
        try {
            list.addAll(ProcessModules.of(pid, cache).modules());
        } catch (IOException e) {
            // The process is gone and we saw none of its mappings: nothing to symbolize it with.
        }
        List<LoadedModule> prev = byPid.putIfAbsent(pid, list);
        return prev == null ? list : prev;
    }

    /**
     * The ELF file a process mapped: through the process's own root first (it may live in another mount
     * namespace), else as this host sees the path (the process may have exited before its records are read).
     */
    public Optional<ElfFile> open(int pid, Path path) {
        Path inRoot = Paths.get("/proc", Integer.toString(pid), "root", path.toString().substring(1));
        Optional<ElfFile> elf = Files.isRegularFile(inRoot) ? cache.elf(inRoot) : Optional.empty();
        return elf.isPresent() ? elf : cache.elf(path);
    }
}
