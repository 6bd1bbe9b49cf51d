package org.fleettap.agent.dwarf;

import static org.fleettap.agent.dwarf.DieConstants.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The debugging information entries of one ELF file: its functions (by address, name, qualified or linkage
 * name), their parameters and return types, and named types. Parsed from the sections on first use; thread-safe.
 */
public final class DebugInfo {
    private final SectionSet sections;
    private final Object lock = new Object();
    private DieIndex index;
    private List<Function> subprograms;
    private Map<Long, Die> functionEntries;
    private NavigableMap<Long, List<Function>> byStart;
    private Map<String, List<Function>> byName;
    private Map<String, List<DwarfType>> typesByName;

    private DebugInfo(SectionSet sections) {
        this.sections = sections;
    }

    /** Debug information read from {@code sections} (nothing is parsed until it is asked for). */
    public static DebugInfo of(DwarfSections sections) {
        return new DebugInfo(new SectionSet(sections));
    }

    /** Debug information where sections named in {@code replaced} have the given contents instead (tests). */
    static DebugInfo of(DwarfSections sections, Map<String, ByteBuffer> replaced) {
        return new DebugInfo(new SectionSet(sections, replaced));
    }

    /** Whether the file has any DWARF entries at all. */
    public static boolean present(DwarfSections sections) {
        return sections.has(".debug_info");
    }

    /** Every DW_TAG_subprogram (definitions, declarations, abstract instances), in file order. */
    public List<Function> subprograms() throws DwarfFormatException {
        functions0();
        return subprograms;
    }

    /** Functions that have code, in file order. */
    public List<Function> functions() throws DwarfFormatException {
        List<Function> out = new ArrayList<>();
        for (Function f : subprograms()) {
            if (f.hasCode()) {
                out.add(f);
            }
        }
        return List.copyOf(out);
    }

    /** The function whose code contains {@code address} (the innermost, i.e. smallest, if several). */
    public Optional<Function> functionAt(long address) throws DwarfFormatException {
        functions0();
        Function best = null;
        long bestSize = Long.MAX_VALUE;
        int looked = 0;
        for (Map.Entry<Long, List<Function>> e : byStart.headMap(address, true).descendingMap().entrySet()) {
            for (Function f : e.getValue()) {
                for (AddressRange r : f.ranges()) {
                    if (r.contains(address) && r.end() - r.start() < bestSize) {
                        best = f;
                        bestSize = r.end() - r.start();
                    }
                }
            }
            if (++looked >= 256) {
                break;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Functions with code whose name, qualified name ("Class::method") or linkage name is {@code name}. */
    public List<Function> functionsNamed(String name) throws DwarfFormatException {
        functions0();
        return byName.getOrDefault(name, List.of());
    }

    /**
     * The formal parameters of {@code f} in order ({@code this} first for member functions): the entry's own
     * (names and types through their abstract_origin), else those of its abstract origin or declaration.
     */
    public List<Parameter> parameters(Function f) throws DwarfFormatException {
        DieIndex idx = index();
        Die die = entry(f);
        List<Die> formals = formals(die);
        for (int i = 0; i < DieIndex.MAX_CHAIN && formals.isEmpty(); i++) {
            Die next = idx.referenced(die, DW_AT_abstract_origin);
            if (next == null) {
                next = idx.referenced(die, DW_AT_specification);
            }
            if (next == null) {
                break;
            }
            die = next;
            formals = formals(die);
        }
        List<Parameter> out = new ArrayList<>();
        for (Die p : formals) {
            out.add(parameter(p));
        }
        return List.copyOf(out);
    }

    /** The return type of {@code f} (void when it returns nothing). */
    public DwarfType returnType(Function f) throws DwarfFormatException {
        return DwarfType.typeOf(index(), entry(f));
    }

    /**
     * Types whose printable name is {@code name} ("struct request", "pthread_mutex_t", "ManProcessor", "int"),
     * complete definitions before declarations.
     */
    public List<DwarfType> typesNamed(String name) throws DwarfFormatException {
        synchronized (lock) {
            if (typesByName == null) {
                Map<String, List<DwarfType>> m = new HashMap<>();
                List<Die> stack = new ArrayList<>();
                for (DwarfUnit u : index().units) {
                    stack.add(u.root);
                }
                while (!stack.isEmpty()) {
                    Die d = stack.remove(stack.size() - 1);
                    boolean named = d.has(DW_AT_name);
                    DwarfType t = null;
                    switch (d.tag) {
                        case DW_TAG_base_type, DW_TAG_typedef, DW_TAG_structure_type, DW_TAG_class_type,
                                DW_TAG_union_type, DW_TAG_enumeration_type, DW_TAG_unspecified_type -> {
                            if (named) {
                                t = DwarfType.of(index, d);
                            }
                        }
                        default -> { }
                    }
                    if (t != null) {
                        m.computeIfAbsent(t.printableName(), k -> new ArrayList<>()).add(t);
                    }
                    if (d.tag == DW_TAG_compile_unit || d.tag == DW_TAG_partial_unit || d.tag == DW_TAG_type_unit
                            || d.tag == DW_TAG_namespace || d.tag == DW_TAG_structure_type
                            || d.tag == DW_TAG_class_type || d.tag == DW_TAG_union_type) {
                        stack.addAll(d.children());
                    }
                }
                m.replaceAll((k, v) -> {
                    v.sort((a, b) -> Boolean.compare(a.isDeclaration(), b.isDeclaration()));
                    return List.copyOf(v);
                });
                typesByName = m;
            }
            return typesByName.getOrDefault(name, List.of());
        }
    }

    private Parameter parameter(Die concrete) throws DwarfFormatException {
        DieIndex idx = index();
        String name = idx.name(concrete);
        DwarfType type = DwarfType.typeOf(idx, concrete);
        boolean artificial = idx.inherited(concrete, DW_AT_artificial) != null
                && idx.inherited(concrete, DW_AT_artificial).value() != 0;
        return new Parameter(name == null ? "" : name, type, concrete.unit.location(concrete), artificial,
                concrete.offset);
    }

    private static List<Die> formals(Die die) {
        List<Die> out = new ArrayList<>();
        for (Die c : die.children()) {
            if (c.tag == DW_TAG_formal_parameter) {
                out.add(c);
            }
        }
        return out;
    }

    private Die entry(Function f) throws DwarfFormatException {
        functions0();
        Die d = functionEntries.get(f.dieOffset());
        if (d == null) {
            throw new DwarfFormatException("no function entry at 0x" + Long.toHexString(f.dieOffset()));
        }
        return d;
    }

    private DieIndex index() throws DwarfFormatException {
        synchronized (lock) {
            if (index == null) {
                index = new DieIndex(DieParser.parse(sections));
            }
            return index;
        }
    }

    private void functions0() throws DwarfFormatException {
        synchronized (lock) {
            if (subprograms != null) {
                return;
            }
            DieIndex idx = index();
            List<Function> all = new ArrayList<>();
            Map<Long, Die> entries = new HashMap<>();
            NavigableMap<Long, List<Function>> starts = new TreeMap<>(Long::compareUnsigned);
            Map<String, List<Function>> names = new LinkedHashMap<>();
            List<Die> stack = new ArrayList<>();
            for (int i = idx.units.size() - 1; i >= 0; i--) {
                stack.add(idx.units.get(i).root);
            }
            while (!stack.isEmpty()) {
                Die d = stack.remove(stack.size() - 1);
                if (d.tag == DW_TAG_subprogram) {
                    Function f = function(idx, d);
                    all.add(f);
                    entries.put(d.offset, d);
                    if (f.hasCode()) {
                        for (AddressRange r : f.ranges()) {
                            starts.computeIfAbsent(r.start(), k -> new ArrayList<>(1)).add(f);
                        }
                        addName(names, f.name(), f);
                        if (!f.qualifiedName().equals(f.name())) {
                            addName(names, f.qualifiedName(), f);
                        }
                        f.linkageName().ifPresent(n -> addName(names, n, f));
                    }
                }
                List<Die> children = d.children();
                for (int i = children.size() - 1; i >= 0; i--) {
                    stack.add(children.get(i));
                }
            }
            names.replaceAll((k, v) -> List.copyOf(v));
            this.functionEntries = entries;
            this.byStart = Collections.unmodifiableNavigableMap(starts);
            this.byName = names;
            this.subprograms = List.copyOf(all);
        }
    }

    private static void addName(Map<String, List<Function>> names, String name, Function f) {
        if (!name.isEmpty()) {
            List<Function> l = names.computeIfAbsent(name, k -> new ArrayList<>(1));
            if (!l.contains(f)) {
                l.add(f);
            }
        }
    }

    private static Function function(DieIndex idx, Die d) throws DwarfFormatException {
        String name = idx.name(d);
        String qualified = idx.qualifiedName(d);
        String linkage = idx.inheritedString(d, DW_AT_linkage_name);
        if (linkage == null) {
            linkage = idx.inheritedString(d, DW_AT_MIPS_linkage_name);
        }
        List<AddressRange> ranges = d.unit.ranges(d);
        long entry = -1;
        AttributeValue low = d.attr(DW_AT_low_pc);
        AttributeValue entryPc = d.attr(0x52); // DW_AT_entry_pc
        if (entryPc != null && !DwarfUnit.isConstant(entryPc)) {
            entry = d.unit.address(entryPc);
        } else if (entryPc != null && low != null) {
            entry = d.unit.address(low) + entryPc.value();
        } else if (low != null) {
            entry = d.unit.address(low);
        } else if (!ranges.isEmpty()) {
            entry = ranges.get(0).start();
        }
        AttributeValue file = idx.inherited(d, DW_AT_decl_file);
        AttributeValue line = idx.inherited(d, DW_AT_decl_line);
        AttributeValue external = idx.inherited(d, DW_AT_external);
        boolean member = idx.inherited(d, DW_AT_object_pointer) != null;
        if (!member) {
            for (Die c : d.children()) {
                if (c.tag == DW_TAG_formal_parameter) {
                    AttributeValue art = idx.inherited(c, DW_AT_artificial);
                    member = art != null && art.value() != 0;
                    break;
                }
            }
        }
        return new Function(d.offset, name == null ? "" : name, qualified == null ? "" : qualified,
                Optional.ofNullable(linkage), ranges, entry, file == null ? 0 : (int) file.value(),
                line == null ? 0 : (int) line.value(), external != null && external.value() != 0,
                d.flag(DW_AT_declaration), member);
    }
}
