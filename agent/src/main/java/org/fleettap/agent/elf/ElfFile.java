package org.fleettap.agent.elf;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A parsed ELF64 little-endian executable or shared object (PIE or not). {@link #parse} reads and validates the
 * headers, sections, segments, symbols, build-id and debug link from bytes (no I/O); the file's bytes are kept for
 * {@link #contents} and {@link #sdtNotes}. Immutable and safe to share between threads.
 */
public final class ElfFile {
    /** e_machine of x86-64. */
    public static final int EM_X86_64 = 62;

    private static final String DEBUGLINK_SECTION = ".gnu_debuglink";

    private final ElfBytes bytes;
    private final ElfType type;
    private final int machine;
    private final long entry;
    private final List<Section> sections;
    private final List<ProgramHeader> programHeaders;
    private final List<ElfSymbol> symbols;
    private final Map<String, List<ElfSymbol>> symbolsByName;
    private final List<ElfSymbol> functions;
    private final SortedSet<String> functionNames;
    private final Optional<String> buildId;
    private final Optional<DebugLink> debugLink;

    private ElfFile(ElfBytes bytes) throws ElfFormatException {
        this.bytes = bytes;
        ElfHeaderReader.Header header = ElfHeaderReader.header(bytes);
        this.type = header.type();
        this.machine = header.machine();
        this.entry = header.entry();
        this.sections = ElfHeaderReader.sections(bytes, header);
        this.programHeaders = ElfHeaderReader.programHeaders(bytes, header, sections);
        this.symbols = SymbolReader.read(bytes, sections);
        Map<String, List<ElfSymbol>> byName = new LinkedHashMap<>();
        List<ElfSymbol> fns = new ArrayList<>();
        SortedSet<String> fnNames = new TreeSet<>();
        for (ElfSymbol s : symbols) {
            byName.computeIfAbsent(s.name(), k -> new ArrayList<>(1)).add(s);
            if (s.isFunction()) {
                fns.add(s);
                fnNames.add(s.name());
            }
        }
        byName.replaceAll((name, list) -> List.copyOf(list));
        this.symbolsByName = Collections.unmodifiableMap(byName);
        this.functions = List.copyOf(fns);
        this.functionNames = Collections.unmodifiableSortedSet(fnNames);
        this.buildId = readBuildId();
        this.debugLink = readDebugLink();
    }

    /** Parses {@code bytes} (from position to limit; not modified, and must not be modified later). */
    public static ElfFile parse(ByteBuffer bytes) throws ElfFormatException {
        return new ElfFile(new ElfBytes(bytes));
    }

    /** ET_EXEC or ET_DYN. */
    public ElfType type() {
        return type;
    }

    /** e_machine, e.g. {@link #EM_X86_64}. */
    public int machine() {
        return machine;
    }

    /** The entry point address (e_entry). */
    public long entry() {
        return entry;
    }

    /** All section headers in file order (index 0 is the null section); empty when the file has none. */
    public List<Section> sections() {
        return sections;
    }

    /** The first section named {@code name}. */
    public Optional<Section> section(String name) {
        return sections.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** The section's bytes as a read-only little-endian buffer (empty for SHT_NOBITS). */
    public ByteBuffer contents(Section section) {
        if (section.index() < 0 || section.index() >= sections.size() || !sections.get(section.index())
                .equals(section)) {
            throw new IllegalArgumentException("section [" + section.index() + "] " + section.name()
                    + " is not a section of this file");
        }
        if (!section.hasContents() || section.type() == Section.SHT_NULL) {
            return bytes.slice(0, 0);
        }
        return bytes.slice(section.offset(), section.size());
    }

    /** All program headers in file order. */
    public List<ProgramHeader> programHeaders() {
        return programHeaders;
    }

    /** Every symbol of .symtab then .dynsym (in file order, without each table's null entry 0). */
    public List<ElfSymbol> symbols() {
        return symbols;
    }

    /** Every symbol called exactly {@code name} (any type, both tables, defined or not); empty if none. */
    public List<ElfSymbol> symbolsNamed(String name) {
        return symbolsByName.getOrDefault(name, List.of());
    }

    /**
     * The functions defined in this file (FUNC or GNU_IFUNC, not undefined), from both tables, in table order; a
     * function present in .symtab and .dynsym appears twice, once per table.
     */
    public List<ElfSymbol> functions() {
        return functions;
    }

    /** The defined functions called exactly {@code name} (several if the name is local to several files). */
    public List<ElfSymbol> functionsNamed(String name) {
        return symbolsNamed(name).stream().filter(ElfSymbol::isFunction).toList();
    }

    /** The distinct names of the defined functions, sorted: candidates to suggest for a misspelled name. */
    public SortedSet<String> functionNames() {
        return functionNames;
    }

    /** The NT_GNU_BUILD_ID as lower-case hex, from a note section or, without one, a PT_NOTE segment. */
    public Optional<String> buildId() {
        return buildId;
    }

    /** The .gnu_debuglink section's file name and CRC32. */
    public Optional<DebugLink> debugLink() {
        return debugLink;
    }

    /** The USDT probes of {@code .note.stapsdt}, with parsed arguments and uprobe offsets; read on each call. */
    public List<SdtNote> sdtNotes() throws ElfFormatException {
        return SdtNoteReader.read(this, bytes);
    }

    /**
     * The file offset of virtual address {@code vaddr}, through the PT_LOAD segment whose file-backed part holds it
     * (offset = vaddr − p_vaddr + p_offset): the offset a uprobe takes.
     */
    public long fileOffset(long vaddr) throws ElfFormatException {
        return fileOffsetOrError(vaddr, "address");
    }

    long fileOffsetOrError(long vaddr, String what) throws ElfFormatException {
        for (ProgramHeader segment : programHeaders) {
            if (segment.isLoad() && segment.containsInFile(vaddr)) {
                return segment.fileOffsetOf(vaddr);
            }
        }
        throw new ElfFormatException(String.format(
                "%s 0x%x is not in the file-backed part of any PT_LOAD segment", what, vaddr));
    }

    @Override
    public String toString() {
        return String.format("ElfFile[%s, machine %d, %d sections, %d segments, %d symbols]", type, machine,
                sections.size(), programHeaders.size(), symbols.size());
    }

    private Optional<String> readBuildId() throws ElfFormatException {
        for (Section s : sections) {
            if (s.type() == Section.SHT_NOTE) {
                Optional<String> id = buildIdIn(Note.readAll(bytes, s.offset(), s.size(), s.addralign(),
                        "section [" + s.index() + "] " + ElfFormatException.printable(s.name())));
                if (id.isPresent()) {
                    return id;
                }
            }
        }
        for (int i = 0; i < programHeaders.size(); i++) {
            ProgramHeader p = programHeaders.get(i);
            if (p.type() == ProgramHeader.PT_NOTE) {
                String where = "PT_NOTE segment " + i;
                bytes.require(p.offset(), p.filesz(), where);
                Optional<String> id = buildIdIn(Note.readAll(bytes, p.offset(), p.filesz(), p.align(), where));
                if (id.isPresent()) {
                    return id;
                }
            }
        }
        return Optional.empty();
    }

    private Optional<String> buildIdIn(List<Note> notes) {
        for (Note note : notes) {
            if (note.is("GNU", Note.NT_GNU_BUILD_ID) && note.descSize() > 0) {
                byte[] id = new byte[(int) note.descSize()];
                bytes.slice(note.descOffset(), note.descSize()).get(id);
                return Optional.of(HexFormat.of().formatHex(id));
            }
        }
        return Optional.empty();
    }

    private Optional<DebugLink> readDebugLink() throws ElfFormatException {
        Optional<Section> section = section(DEBUGLINK_SECTION);
        if (section.isEmpty() || !section.get().hasContents()) {
            return Optional.empty();
        }
        Section s = section.get();
        String where = "section [" + s.index() + "] " + DEBUGLINK_SECTION;
        StringTable strings = new StringTable(bytes, where, s.offset(), s.size());
        String fileName = strings.at(0, where);
        long crcAt = (strings.after(0, where) + 3) & ~3L;
        if (crcAt + 4 > s.size()) {
            throw new ElfFormatException(where + ": no CRC32 after the file name (size 0x"
                    + Long.toHexString(s.size()) + ")");
        }
        return Optional.of(new DebugLink(fileName, bytes.u32(s.offset() + crcAt)));
    }
}
