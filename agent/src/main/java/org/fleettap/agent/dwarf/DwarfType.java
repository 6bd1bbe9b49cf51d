package org.fleettap.agent.dwarf;

import static org.fleettap.agent.dwarf.DieConstants.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A type from the debug information, read on demand from its entry (so recursive types are fine): kind, name,
 * size, encoding, the type it modifies, members, array dimensions, enumerators, function signature, and its
 * name as C (or C++) would print it. Following chains of types is bounded, so corrupt cycles are errors.
 */
public final class DwarfType {
    /** What a type is. */
    public enum Kind {
        VOID, BASE, POINTER, REFERENCE, RVALUE_REFERENCE, CONST, VOLATILE, RESTRICT, ATOMIC, TYPEDEF, STRUCT, CLASS,
        UNION, ENUM, ARRAY, FUNCTION, POINTER_TO_MEMBER, UNSPECIFIED
    }

    /** How a base type's bits are read. */
    public enum Encoding {
        NONE, SIGNED, UNSIGNED, SIGNED_CHAR, UNSIGNED_CHAR, BOOLEAN, FLOAT, COMPLEX_FLOAT, ADDRESS, UTF, OTHER
    }

    /** Most steps (entries visited) spent on one question about a type before giving up on corrupt input. */
    static final int MAX_STEPS = 10_000;

    private final DieIndex index;
    private final Die die;

    private DwarfType(DieIndex index, Die die) {
        this.index = index;
        this.die = die;
    }

    /** The type an entry is (null entry: void). */
    static DwarfType of(DieIndex index, Die die) throws DwarfFormatException {
        if (die != null && kindOf(die.tag) == null) {
            throw new DwarfFormatException(die + " is used as a type but is not one");
        }
        return new DwarfType(index, die);
    }

    /** The type attribute {@code DW_AT_type} of {@code die} names (void when absent). */
    static DwarfType typeOf(DieIndex index, Die die) throws DwarfFormatException {
        Die d = index.owner(die, DW_AT_type);
        return of(index, d == null ? null : index.referenced(d, DW_AT_type));
    }

    private static Kind kindOf(int tag) {
        return switch (tag) {
            case DW_TAG_base_type -> Kind.BASE;
            case DW_TAG_pointer_type -> Kind.POINTER;
            case DW_TAG_reference_type -> Kind.REFERENCE;
            case DW_TAG_rvalue_reference_type -> Kind.RVALUE_REFERENCE;
            case DW_TAG_const_type -> Kind.CONST;
            case DW_TAG_volatile_type -> Kind.VOLATILE;
            case DW_TAG_restrict_type -> Kind.RESTRICT;
            case DW_TAG_atomic_type -> Kind.ATOMIC;
            case DW_TAG_typedef -> Kind.TYPEDEF;
            case DW_TAG_structure_type -> Kind.STRUCT;
            case DW_TAG_class_type -> Kind.CLASS;
            case DW_TAG_union_type -> Kind.UNION;
            case DW_TAG_enumeration_type -> Kind.ENUM;
            case DW_TAG_array_type -> Kind.ARRAY;
            case DW_TAG_subroutine_type -> Kind.FUNCTION;
            case DW_TAG_ptr_to_member_type -> Kind.POINTER_TO_MEMBER;
            case DW_TAG_unspecified_type -> Kind.UNSPECIFIED;
            default -> null;
        };
    }

    public Kind kind() {
        return die == null ? Kind.VOID : kindOf(die.tag);
    }

    /** The offset of the type's entry in .debug_info (-1 for void). */
    public long dieOffset() {
        return die == null ? -1 : die.offset;
    }

    /** The entry's own name (DW_AT_name), if it has one. */
    public Optional<String> name() throws DwarfFormatException {
        return die == null ? Optional.of("void") : Optional.ofNullable(index.name(die));
    }

    /** Whether this is only a declaration (an incomplete struct). */
    public boolean isDeclaration() {
        return die != null && die.flag(DW_AT_declaration);
    }

    public boolean isVoid() {
        return die == null;
    }

    /** A base type's encoding (NONE for other kinds). */
    public Encoding encoding() {
        if (die == null || die.tag != DW_TAG_base_type) {
            return Encoding.NONE;
        }
        AttributeValue a = die.attr(DW_AT_encoding);
        if (a == null) {
            return Encoding.OTHER;
        }
        return switch ((int) a.value()) {
            case DW_ATE_address -> Encoding.ADDRESS;
            case DW_ATE_boolean -> Encoding.BOOLEAN;
            case DW_ATE_complex_float -> Encoding.COMPLEX_FLOAT;
            case DW_ATE_float -> Encoding.FLOAT;
            case DW_ATE_signed -> Encoding.SIGNED;
            case DW_ATE_signed_char -> Encoding.SIGNED_CHAR;
            case DW_ATE_unsigned -> Encoding.UNSIGNED;
            case DW_ATE_unsigned_char -> Encoding.UNSIGNED_CHAR;
            case DW_ATE_UTF -> Encoding.UTF;
            default -> Encoding.OTHER;
        };
    }

    /**
     * The type this one modifies or names: pointee, referent, qualified or typedef'd type, array element, enum's
     * underlying type, function return type (void when there is none).
     */
    public DwarfType target() throws DwarfFormatException {
        if (die == null) {
            return this;
        }
        return of(index, index.referenced(die, DW_AT_type));
    }

    /** The type with typedefs and const/volatile/restrict/atomic qualifiers removed. */
    public DwarfType resolved() throws DwarfFormatException {
        DwarfType t = this;
        for (int i = 0; i < DieIndex.MAX_CHAIN; i++) {
            switch (t.kind()) {
                case TYPEDEF, CONST, VOLATILE, RESTRICT, ATOMIC -> t = t.target();
                default -> {
                    return t;
                }
            }
        }
        throw new DwarfFormatException(die + ": typedef/qualifier chain longer than " + DieIndex.MAX_CHAIN
                + " (a cycle?)");
    }

    /** Size in bytes, through typedefs and qualifiers; arrays are element size times count; empty if unknown. */
    public OptionalLong byteSize() throws DwarfFormatException {
        return byteSize(new int[] {0, 0});
    }

    private OptionalLong byteSize(int[] steps) throws DwarfFormatException {
        steps[1]++;
        try {
            return byteSizeStep(steps);
        } finally {
            steps[1]--;
        }
    }

    private OptionalLong byteSizeStep(int[] steps) throws DwarfFormatException {
        step(steps);
        if (die == null) {
            return OptionalLong.empty();
        }
        AttributeValue a = die.attr(DW_AT_byte_size);
        if (a != null && DwarfUnit.isConstant(a)) {
            return OptionalLong.of(a.value());
        }
        switch (kind()) {
            case POINTER, REFERENCE, RVALUE_REFERENCE:
                return OptionalLong.of(die.unit.header.addressSize());
            case TYPEDEF, CONST, VOLATILE, RESTRICT, ATOMIC, ENUM:
                return target().byteSize(steps);
            case ARRAY: {
                OptionalLong elem = target().byteSize(steps);
                if (elem.isEmpty()) {
                    return elem;
                }
                long n = 1;
                for (long d : dimensions()) {
                    if (d < 0) {
                        return OptionalLong.empty();
                    }
                    n = Math.multiplyExact(n, d);
                }
                return OptionalLong.of(Math.multiplyExact(n, elem.getAsLong()));
            }
            default:
                return OptionalLong.empty();
        }
    }

    /** Whether values of this (class) type are passed by invisible reference (DW_AT_calling_convention). */
    public boolean isPassedByReference() {
        AttributeValue a = die == null ? null : die.attr(DW_AT_calling_convention);
        return a != null && a.value() == DW_CC_pass_by_reference;
    }

    /** An array's element counts per dimension (-1 for an unknown bound, e.g. {@code int x[]}). */
    public List<Long> dimensions() throws DwarfFormatException {
        List<Long> dims = new ArrayList<>();
        if (die == null || die.tag != DW_TAG_array_type) {
            return dims;
        }
        for (Die c : die.children()) {
            if (c.tag != DW_TAG_subrange_type && c.tag != DW_TAG_enumeration_type) {
                continue;
            }
            AttributeValue count = c.attr(DW_AT_count);
            AttributeValue upper = c.attr(DW_AT_upper_bound);
            AttributeValue lower = c.attr(DW_AT_lower_bound);
            long lo = lower != null && DwarfUnit.isConstant(lower) ? lower.value() : 0;
            if (count != null && DwarfUnit.isConstant(count)) {
                dims.add(count.value());
            } else if (upper != null && DwarfUnit.isConstant(upper)) {
                dims.add(upper.value() - lo + 1);
            } else {
                dims.add(-1L);
            }
        }
        return List.copyOf(dims);
    }

    /** An enumeration's values in order. */
    public List<Enumerator> enumerators() throws DwarfFormatException {
        List<Enumerator> out = new ArrayList<>();
        if (die == null || die.tag != DW_TAG_enumeration_type) {
            return out;
        }
        for (Die c : die.children()) {
            if (c.tag == DW_TAG_enumerator) {
                AttributeValue v = c.attr(DW_AT_const_value);
                out.add(new Enumerator(index.name(c), v == null ? 0 : v.value()));
            }
        }
        return List.copyOf(out);
    }

    /** A function type's parameter types in order. */
    public List<DwarfType> parameterTypes() throws DwarfFormatException {
        List<DwarfType> out = new ArrayList<>();
        if (die != null && die.tag == DW_TAG_subroutine_type) {
            for (Die c : die.children()) {
                if (c.tag == DW_TAG_formal_parameter) {
                    out.add(typeOf(index, c));
                }
            }
        }
        return List.copyOf(out);
    }

    /** Whether a function type ends in "..." . */
    public boolean isVariadic() {
        if (die != null) {
            for (Die c : die.children()) {
                if (c.tag == DW_TAG_unspecified_parameters) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The data members of a struct, class or union (through typedefs and qualifiers), in declaration order. */
    public List<Member> members() throws DwarfFormatException {
        DwarfType t = resolved();
        List<Member> out = new ArrayList<>();
        if (t.die == null) {
            return out;
        }
        for (Die c : t.die.children()) {
            if (c.tag == DW_TAG_member && !c.flag(DW_AT_declaration) && !c.has(DW_AT_external)) {
                out.add(t.member(c));
            }
        }
        return List.copyOf(out);
    }

    /** The base classes of a C++ class, as members at their offsets named after the base. */
    public List<Member> baseClasses() throws DwarfFormatException {
        DwarfType t = resolved();
        List<Member> out = new ArrayList<>();
        if (t.die == null) {
            return out;
        }
        for (Die c : t.die.children()) {
            if (c.tag == DW_TAG_inheritance) {
                out.add(t.member(c));
            }
        }
        return List.copyOf(out);
    }

    /**
     * The member called {@code name}: a direct member, one of an anonymous struct/union member (its offset added),
     * or one inherited from a base class; empty when there is none.
     */
    public Optional<Member> member(String name) throws DwarfFormatException {
        return member(name, 0, new int[] {0, 0});
    }

    private Optional<Member> member(String name, long base, int[] steps) throws DwarfFormatException {
        steps[1]++;
        try {
            return memberStep(name, base, steps);
        } finally {
            steps[1]--;
        }
    }

    private Optional<Member> memberStep(String name, long base, int[] steps) throws DwarfFormatException {
        step(steps);
        List<Member> anonymous = new ArrayList<>();
        for (Member m : members()) {
            if (m.name().equals(name)) {
                return Optional.of(shift(m, base));
            }
            if (m.name().isEmpty()) {
                anonymous.add(m);
            }
        }
        anonymous.addAll(baseClasses());
        for (Member m : anonymous) {
            Optional<Member> inner = m.type().member(name, base + m.offset(), steps);
            if (inner.isPresent()) {
                return inner;
            }
        }
        return Optional.empty();
    }

    private static Member shift(Member m, long base) {
        return base == 0 ? m : new Member(m.name(), m.offset() + base, m.type(), m.bitSize(),
                m.bitPosition() + base * 8);
    }

    private Member member(Die c) throws DwarfFormatException {
        String name = index.name(c);
        DwarfType type = typeOf(index, c);
        if (c.tag == DW_TAG_inheritance) {
            name = type.name().orElse("");
        }
        long bitPos;
        AttributeValue dataBit = c.attr(DW_AT_data_bit_offset);
        AttributeValue loc = c.attr(DW_AT_data_member_location);
        long byteOffset = 0;
        if (loc != null) {
            if (DwarfUnit.isConstant(loc)) {
                byteOffset = loc.value();
            } else if (loc.block() != null) {
                List<LocationOp> ops = new LocationExpression(loc.block()).ops();
                if (ops.size() != 1 || ops.get(0).opcode() != 0x23) {
                    throw new DwarfFormatException(c + ": member location is not a constant offset "
                            + "(a virtual base class?)");
                }
                byteOffset = ops.get(0).operand1();
            } else {
                throw new DwarfFormatException(c + ": member location has form 0x"
                        + Integer.toHexString(loc.form()));
            }
        }
        AttributeValue bitSizeAttr = c.attr(DW_AT_bit_size);
        int bitSize = bitSizeAttr == null ? 0 : (int) bitSizeAttr.value();
        if (dataBit != null) {
            bitPos = dataBit.value();
        } else if (bitSizeAttr != null && c.has(DW_AT_bit_offset)) {
            // DWARF 2/3: bit_offset counts from the most significant bit of a storage unit of byte_size bytes.
            AttributeValue storage = c.attr(DW_AT_byte_size);
            long unitBits = 8 * (storage != null ? storage.value() : type.byteSize().orElse(0));
            bitPos = byteOffset * 8 + unitBits - c.attr(DW_AT_bit_offset).value() - bitSize;
        } else {
            bitPos = byteOffset * 8;
        }
        long offset = bitSize != 0 ? Math.floorDiv(bitPos, 8) : byteOffset;
        return new Member(name == null ? "" : name, offset, type, bitSize, bitPos);
    }

    /** The type's name as C prints it ("const char *", "struct point [64]", "int (*)(int, char **)"). */
    public String printableName() throws DwarfFormatException {
        return print("", new int[] {0, 0});
    }

    private String print(String inner, int[] steps) throws DwarfFormatException {
        steps[1]++;
        try {
            return printStep(inner, steps);
        } finally {
            steps[1]--;
        }
    }

    private String printStep(String inner, int[] steps) throws DwarfFormatException {
        step(steps);
        switch (kind()) {
            case VOID:
                return join("void", inner);
            case BASE, TYPEDEF, UNSPECIFIED:
                return join(qualified(), inner);
            case STRUCT, CLASS, UNION, ENUM:
                return join(tagged(), inner);
            case POINTER:
                return target().print(inner.isEmpty() ? "*" : "*" + inner, steps);
            case REFERENCE:
                return target().print(inner.isEmpty() ? "&" : "&" + inner, steps);
            case RVALUE_REFERENCE:
                return target().print(inner.isEmpty() ? "&&" : "&&" + inner, steps);
            case POINTER_TO_MEMBER: {
                Die cls = index.referenced(die, 0x1d); // DW_AT_containing_type
                String owner = cls == null ? "?" : of(index, cls).print("", steps);
                return target().print(owner + "::*" + inner, steps);
            }
            case CONST, VOLATILE, RESTRICT, ATOMIC: {
                String q = switch (kind()) {
                    case CONST -> "const";
                    case VOLATILE -> "volatile";
                    case RESTRICT -> die.unit.isC() ? "restrict" : "__restrict__";
                    default -> "_Atomic";
                };
                DwarfType t = target();
                Kind k = t.kind();
                if (k == Kind.POINTER || k == Kind.REFERENCE || k == Kind.RVALUE_REFERENCE
                        || k == Kind.POINTER_TO_MEMBER) {
                    return t.print(inner.isEmpty() ? " " + q : " " + q + " " + inner, steps);
                }
                if (k == Kind.CONST || k == Kind.VOLATILE || k == Kind.RESTRICT || k == Kind.ATOMIC
                        || k == Kind.ARRAY || k == Kind.FUNCTION) {
                    return t.print(inner, steps); // qualifier order and array/function qualifiers: keep it simple
                }
                return q + " " + t.print(inner, steps);
            }
            case ARRAY: {
                StringBuilder dims = new StringBuilder();
                for (long d : dimensions()) {
                    dims.append('[').append(d < 0 ? "" : Long.toString(d)).append(']');
                }
                String in = inner.startsWith("*") || inner.startsWith("&") ? "(" + inner + ")" : inner;
                return target().print(in + dims, steps);
            }
            case FUNCTION: {
                StringBuilder params = new StringBuilder("(");
                List<DwarfType> ps = parameterTypes();
                for (int i = 0; i < ps.size(); i++) {
                    if (i > 0) {
                        params.append(", ");
                    }
                    params.append(ps.get(i).print("", steps));
                }
                if (isVariadic()) {
                    params.append(ps.isEmpty() ? "..." : ", ...");
                } else if (ps.isEmpty() && die.flag(DW_AT_prototyped)) {
                    params.append("void");
                }
                params.append(')');
                String in = inner.isEmpty() ? "" : "(" + inner.strip() + ")";
                return target().print(in + params, steps);
            }
            default:
                throw new IllegalStateException("unreachable");
        }
    }

    private static String join(String type, String inner) {
        return inner.isEmpty() ? type : type + " " + inner;
    }

    private String qualified() throws DwarfFormatException {
        String n = index.name(die);
        if (n == null) {
            n = "{anonymous}";
        }
        String scope = die.unit.isC() ? "" : index.scope(die.parent);
        return scope.isEmpty() ? n : scope + "::" + n;
    }

    private String tagged() throws DwarfFormatException {
        String n = index.name(die);
        String keyword = switch (kind()) {
            case STRUCT -> "struct";
            case CLASS -> "class";
            case UNION -> "union";
            default -> "enum";
        };
        if (n == null) {
            return keyword + " {...}";
        }
        return die.unit.isC() ? keyword + " " + n : qualified();
    }

    /** Counts steps ([0]) and current nesting ([1]) of one question; nesting is bounded too (no stack overflow). */
    private void step(int[] steps) throws DwarfFormatException {
        if (steps[1] > DieIndex.MAX_CHAIN) {
            throw new DwarfFormatException("type at 0x" + Long.toHexString(dieOffset()) + ": types nested deeper than "
                    + DieIndex.MAX_CHAIN + " (a cycle?)");
        }
        if (++steps[0] > MAX_STEPS) {
            throw new DwarfFormatException("type at 0x" + Long.toHexString(dieOffset()) + ": more than "
                    + MAX_STEPS + " steps through its type chain (a cycle?)");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DwarfType t && t.dieOffset() == dieOffset();
    }

    @Override
    public int hashCode() {
        return Long.hashCode(dieOffset());
    }

    @Override
    public String toString() {
        try {
            return printableName();
        } catch (DwarfFormatException e) {
            return "type at 0x" + Long.toHexString(dieOffset()) + " (" + e.getMessage() + ")";
        }
    }
}
