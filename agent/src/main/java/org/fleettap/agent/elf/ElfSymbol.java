package org.fleettap.agent.elf;

import java.util.Objects;

/**
 * One symbol table entry. {@code index} is its position in {@code table}; {@code sectionIndex} is st_shndx as stored
 * (0 = undefined, 0xfff1 = absolute, 0xfff2 = common).
 */
public record ElfSymbol(String name, long value, long size, Type type, Binding binding, Visibility visibility,
        int sectionIndex, Table table, int index) {
    /** st_shndx of an undefined symbol. */
    public static final int SHN_UNDEF = 0;
    /** st_shndx of an absolute symbol. */
    public static final int SHN_ABS = 0xfff1;
    /** st_shndx of a common symbol. */
    public static final int SHN_COMMON = 0xfff2;

    public ElfSymbol {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(binding, "binding");
        Objects.requireNonNull(visibility, "visibility");
        Objects.requireNonNull(table, "table");
    }

    /** Whether the symbol is defined in this file (not SHN_UNDEF). */
    public boolean isDefined() {
        return sectionIndex != SHN_UNDEF;
    }

    /** Whether this is a function defined in this file: FUNC or GNU_IFUNC (whose value is the resolver). */
    public boolean isFunction() {
        return (type == Type.FUNC || type == Type.GNU_IFUNC) && isDefined();
    }

    /** The symbol table a symbol comes from. */
    public enum Table {
        /** .symtab (SHT_SYMTAB): all symbols, absent from stripped files. */
        SYMTAB,
        /** .dynsym (SHT_DYNSYM): the dynamic linker's symbols. */
        DYNSYM
    }

    /** STT_* (low 4 bits of st_info); values without a name here are {@link #OTHER}. */
    public enum Type {
        NOTYPE, OBJECT, FUNC, SECTION, FILE, COMMON, TLS, GNU_IFUNC, OTHER;

        static Type of(int value) {
            return switch (value) {
                case 0 -> NOTYPE;
                case 1 -> OBJECT;
                case 2 -> FUNC;
                case 3 -> SECTION;
                case 4 -> FILE;
                case 5 -> COMMON;
                case 6 -> TLS;
                case 10 -> GNU_IFUNC;
                default -> OTHER;
            };
        }
    }

    /** STB_* (high 4 bits of st_info); values without a name here are {@link #OTHER}. */
    public enum Binding {
        LOCAL, GLOBAL, WEAK, GNU_UNIQUE, OTHER;

        static Binding of(int value) {
            return switch (value) {
                case 0 -> LOCAL;
                case 1 -> GLOBAL;
                case 2 -> WEAK;
                case 10 -> GNU_UNIQUE;
                default -> OTHER;
            };
        }
    }

    /** STV_* (low 2 bits of st_other). */
    public enum Visibility {
        DEFAULT, INTERNAL, HIDDEN, PROTECTED;

        static Visibility of(int value) {
            return values()[value & 3];
        }
    }
}
