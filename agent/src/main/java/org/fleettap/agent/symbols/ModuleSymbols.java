package org.fleettap.agent.symbols;

import java.nio.file.Path;
import java.util.Optional;
import org.fleettap.agent.dwarf.DebugInfo;
import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.dwarf.Function;
import org.fleettap.agent.dwarf.DwarfSections;
import org.fleettap.agent.dwarf.LineRow;
import org.fleettap.agent.dwarf.LineTable;
import org.fleettap.agent.elf.ElfFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one module knows about its code: function symbols (from the binary, or from its separate debug file when
 * that has more), the DWARF line table and debugging information entries (from whichever of the two has them).
 * Parsed lazily; symbolization keeps one per build-id through {@link ModuleCache#derived}.
 */
public final class ModuleSymbols {
    private static final Logger log = LoggerFactory.getLogger(ModuleSymbols.class);

    private final FunctionIndex functions;
    private final LineTable lines;
    private final DebugInfo info;
    private final ElfFile debugFile;
    private final ElfFile binary;
    private volatile FunctionIndex objects;
    private volatile boolean linesBroken;
    private volatile boolean infoBroken;

    private ModuleSymbols(FunctionIndex functions, LineTable lines, DebugInfo info, ElfFile debugFile,
            ElfFile binary) {
        this.binary = binary;
        this.functions = functions;
        this.lines = lines;
        this.info = info;
        this.debugFile = debugFile;
    }

    /** The symbols of {@code binary}, with its separate debug file found through {@code debugFiles}. */
    public static ModuleSymbols load(Path path, ElfFile binary, DebugFiles debugFiles, ModuleCache cache) {
        return of(binary, debugFiles.find(path, binary).flatMap(cache::elf));
    }

    static ModuleSymbols of(ElfFile binary, Optional<ElfFile> debug) {
        // A separate debug file keeps the full .symtab (local functions too) that a stripped binary lost.
        FunctionIndex functions = FunctionIndex.of(binary);
        if (debug.isPresent()) {
            FunctionIndex fromDebug = FunctionIndex.of(debug.get());
            if (fromDebug.size() > functions.size()) {
                functions = fromDebug;
            }
        }
        LineTable lines = null;
        DebugInfo info = null;
        for (ElfFile f : debug.isPresent() ? new ElfFile[] {debug.get(), binary} : new ElfFile[] {binary}) {
            DwarfSections sections = new DwarfSections(f);
            if (lines == null && sections.has(".debug_line")) {
                lines = LineTable.of(sections);
            }
            if (info == null && DebugInfo.present(sections)) {
                info = DebugInfo.of(sections);
            }
        }
        return new ModuleSymbols(functions, lines, info, debug.orElse(null), binary);
    }

    /** The separate debug file (with the full symbol table a stripped binary lost), if one was found. */
    public Optional<ElfFile> debugFile() {
        return Optional.ofNullable(debugFile);
    }

    /** The line table, where the module or its debug file has one. */
    public Optional<LineTable> lines() {
        return Optional.ofNullable(lines);
    }

    /** The debugging information entries, where the module or its debug file has them. */
    public Optional<DebugInfo> info() {
        return Optional.ofNullable(info);
    }

    /**
     * The function symbol covering a link-time address. Where several symbols share the address, the one DWARF
     * names for that code wins (as addr2line answers).
     */
    Optional<FunctionIndex.Hit> function(long vaddr, Path module) {
        Optional<FunctionIndex.Hit> hit = functions.lookup(vaddr);
        if (hit.isEmpty() || hit.get().aliases().size() < 2 || info == null || infoBroken) {
            return hit;
        }
        try {
            Optional<Function> f = info.functionAt(vaddr);
            if (f.isPresent()) {
                // C++: the mangled linkage name (as addr2line prints it); C: the name (an asm-label linkage
                // name such as glibc's __GI_ aliases is not what the source calls the function).
                String dwarfName = f.get().linkageName().filter(n -> n.startsWith("_Z")).orElse(f.get().name());
                if (hit.get().aliases().contains(dwarfName)) {
                    return Optional.of(hit.get().named(dwarfName));
                }
            }
        } catch (DwarfFormatException e) {
            infoBroken = true;
            log.warn("{}: debug information unreadable, naming functions from symbols: {}", module, e.getMessage());
        }
        return hit;
    }

    /** The data object (a global or static variable) covering a link-time address, for usymdata(). */
    Optional<FunctionIndex.Hit> object(long vaddr) {
        FunctionIndex index = objects;
        if (index == null) {
            index = FunctionIndex.objects(binary);
            if (debugFile != null) {
                FunctionIndex fromDebug = FunctionIndex.objects(debugFile);
                if (fromDebug.size() > index.size()) {
                    index = fromDebug; // a stripped binary keeps only its exported objects
                }
            }
            objects = index;
        }
        return index.lookup(vaddr);
    }

    /** The source line of a link-time address; empty without line information or for a corrupt table. */
    Optional<LineRow> line(long vaddr, Path module) {
        if (lines == null || linesBroken) {
            return Optional.empty();
        }
        try {
            return lines.lookup(vaddr);
        } catch (DwarfFormatException e) {
            linesBroken = true;
            log.warn("{}: line table unreadable, symbolizing without lines: {}", module, e.getMessage());
            return Optional.empty();
        }
    }
}
