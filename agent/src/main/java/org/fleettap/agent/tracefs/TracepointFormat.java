package org.fleettap.agent.tracefs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The layout of one trace event's raw record, parsed from the text of its tracefs {@code format} file
 * ({@code events/SYSTEM/EVENT/format}). Pure: {@link #parse(String)} does no I/O.
 *
 * @param name        the event's name (without its system)
 * @param id          the event id, the perf {@code config} of a {@code PERF_TYPE_TRACEPOINT} event
 * @param fields      every field in file order, the {@code common_} ones included (see {@link Field#common()})
 * @param printFormat the {@code print fmt:} text, or "" when absent
 */
public record TracepointFormat(String name, long id, List<Field> fields, String printFormat) {

    public TracepointFormat {
        Objects.requireNonNull(name, "name");
        fields = List.copyOf(fields);
        Objects.requireNonNull(printFormat, "printFormat");
    }

    /**
     * Parses a format file's text.
     *
     * @throws IllegalArgumentException when the text is not a format file, naming the line at fault
     */
    public static TracepointFormat parse(String text) {
        Objects.requireNonNull(text, "text");
        String name = null;
        Long id = null;
        String print = "";
        List<Field> fields = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            try {
                if (line.startsWith("name:")) {
                    name = line.substring("name:".length()).strip();
                } else if (line.startsWith("ID:")) {
                    id = Long.parseLong(line.substring("ID:".length()).strip());
                } else if (line.startsWith("field:")) {
                    fields.add(Field.parseLine(line));
                } else if (line.startsWith("print fmt:")) {
                    print = line.substring("print fmt:".length()).strip();
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tracepoint format line " + (i + 1) + " '" + line + "': "
                        + e.getMessage(), e);
            }
        }
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("tracepoint format has no 'name:' line");
        }
        if (id == null) {
            throw new IllegalArgumentException("tracepoint format of " + name + " has no 'ID:' line");
        }
        return new TracepointFormat(name, id, fields, print);
    }

    /** The field called {@code fieldName}, if any. */
    public Optional<Field> field(String fieldName) {
        return fields.stream().filter(f -> f.name().equals(fieldName)).findFirst();
    }

    /** The field called {@code fieldName}; an {@link IllegalArgumentException} listing the fields if none. */
    public Field requireField(String fieldName) {
        return field(fieldName).orElseThrow(() -> new IllegalArgumentException(
                "tracepoint " + name + " has no field '" + fieldName + "' (fields: "
                        + String.join(", ", fields.stream().map(Field::name).toList()) + ")"));
    }

    /** The event's own fields: all but the {@code common_} ones. */
    public List<Field> payloadFields() {
        return fields.stream().filter(f -> !f.common()).toList();
    }

    /** How a field's bytes are laid out in the raw record. */
    public enum Kind {
        /** An integer or pointer of {@code size} bytes. */
        SCALAR,
        /** A fixed-size array inline in the record, e.g. {@code char comm[16]}. */
        ARRAY,
        /** {@code __data_loc}: a u32 whose low 16 bits are an offset from the record start, high 16 the length. */
        DATA_LOC,
        /** {@code __rel_loc}: like {@link #DATA_LOC} but the offset counts from the end of this field. */
        REL_LOC
    }

    /**
     * One field of the raw record.
     *
     * @param name        the field's name
     * @param type        its C type as declared, without the name: {@code "u32 *"}, {@code "char[16]"},
     *                    {@code "__data_loc char[]"}
     * @param offset      byte offset from the start of the raw record
     * @param size        size in bytes (for {@code __data_loc}, of the u32 locator)
     * @param signed      whether the kernel declares it signed
     * @param kind        its layout
     * @param arrayLength the element count of an {@link Kind#ARRAY} when the declaration states it as a number,
     *                    else -1
     */
    public record Field(String name, String type, int offset, int size, boolean signed, Kind kind,
                        int arrayLength) {

        public Field {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(kind, "kind");
            if (offset < 0 || size < 0) {
                throw new IllegalArgumentException("negative offset or size for field " + name);
            }
        }

        /** A common field ({@code common_type}, {@code common_pid}, ...) shared by every event. */
        public boolean common() {
            return name.startsWith("common_");
        }

        /** A pointer (decoded as an unsigned long). */
        public boolean pointer() {
            return kind == Kind.SCALAR && type.endsWith("*");
        }

        /** A character string: a {@code char} array, inline or {@code __data_loc}/{@code __rel_loc}. */
        public boolean string() {
            String element = type.replaceFirst("^__(data|rel)_loc\\s+", "").replaceFirst("\\[.*$", "").strip();
            return kind != Kind.SCALAR && (element.equals("char") || element.equals("const char")
                    || element.equals("unsigned char"));
        }

        /**
         * The field as an integer, read little-endian from the raw record starting at {@code base}: sign-extended
         * when signed, else zero-extended (a u64 comes back as the long with the same bits).
         */
        public long readLong(ByteBuffer raw, int base) {
            if (kind != Kind.SCALAR) {
                throw new IllegalStateException("field " + name + " (" + type + ") is not an integer");
            }
            checkBounds(raw, base, offset, size);
            int at = base + offset;
            boolean swap = raw.order() != ByteOrder.LITTLE_ENDIAN;
            switch (size) {
                case 1: {
                    byte v = raw.get(at);
                    return signed ? v : v & 0xffL;
                }
                case 2: {
                    short v = swap ? Short.reverseBytes(raw.getShort(at)) : raw.getShort(at);
                    return signed ? v : v & 0xffffL;
                }
                case 4: {
                    int v = swap ? Integer.reverseBytes(raw.getInt(at)) : raw.getInt(at);
                    return signed ? v : v & 0xffff_ffffL;
                }
                case 8:
                    return swap ? Long.reverseBytes(raw.getLong(at)) : raw.getLong(at);
                default:
                    throw new IllegalStateException("field " + name + " (" + type + ") has size " + size
                            + ", not an integer size");
            }
        }

        /**
         * The field's bytes: an inline array's {@code size} bytes, or the bytes a {@code __data_loc}/{@code
         * __rel_loc} locator points at.
         */
        public byte[] readBytes(ByteBuffer raw, int base) {
            int from;
            int length;
            switch (kind) {
                case ARRAY:
                case SCALAR:
                    from = offset;
                    length = size;
                    break;
                case DATA_LOC:
                case REL_LOC: {
                    checkBounds(raw, base, offset, 4);
                    int loc = raw.order() == ByteOrder.LITTLE_ENDIAN
                            ? raw.getInt(base + offset) : Integer.reverseBytes(raw.getInt(base + offset));
                    from = (loc & 0xffff) + (kind == Kind.REL_LOC ? offset + size : 0);
                    length = loc >>> 16;
                    break;
                }
                default:
                    throw new AssertionError(kind);
            }
            checkBounds(raw, base, from, length);
            byte[] out = new byte[length];
            raw.get(base + from, out);
            return out;
        }

        /** A string field's text, up to its first NUL (UTF-8; invalid bytes become U+FFFD). */
        public String readString(ByteBuffer raw, int base) {
            if (!string()) {
                throw new IllegalStateException("field " + name + " (" + type + ") is not a string");
            }
            byte[] bytes = readBytes(raw, base);
            int end = 0;
            while (end < bytes.length && bytes[end] != 0) {
                end++;
            }
            return new String(bytes, 0, end, StandardCharsets.UTF_8);
        }

        private void checkBounds(ByteBuffer raw, int base, int from, int length) {
            if (base < 0 || from < 0 || (long) base + from + length > raw.limit()) {
                throw new IndexOutOfBoundsException("field " + name + ": bytes " + from + ".." + (from + length)
                        + " lie outside the raw record of " + Math.max(0, raw.limit() - base) + " bytes");
            }
        }

        /** {@code field:TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;} */
        static Field parseLine(String line) {
            String[] parts = line.split(";");
            String declaration = null;
            Integer offset = null;
            Integer size = null;
            boolean signed = false;
            for (String part : parts) {
                String p = part.strip();
                int colon = p.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String key = p.substring(0, colon).strip();
                String value = p.substring(colon + 1).strip();
                switch (key) {
                    case "field":
                        declaration = value;
                        break;
                    case "offset":
                        offset = Integer.parseInt(value);
                        break;
                    case "size":
                        size = Integer.parseInt(value);
                        break;
                    case "signed":
                        signed = !value.equals("0");
                        break;
                    default:
                        break; // newer kernels may add keys
                }
            }
            if (declaration == null || declaration.isEmpty() || offset == null || size == null) {
                throw new IllegalArgumentException("expected field:DECLARATION; offset:N; size:N;");
            }
            return fromDeclaration(declaration, offset, size, signed);
        }

        private static Field fromDeclaration(String decl, int offset, int size, boolean signed) {
            Kind kind = Kind.SCALAR;
            if (decl.startsWith("__data_loc ")) {
                kind = Kind.DATA_LOC;
            } else if (decl.startsWith("__rel_loc ")) {
                kind = Kind.REL_LOC;
            }
            // Trailing [..] groups belong to the name (char comm[16]) unless the name follows them
            // (__data_loc char[] name).
            int end = decl.length();
            int arrayLength = -1;
            String dims = "";
            if (decl.endsWith("]")) {
                int start = end;
                while (start > 0 && decl.charAt(start - 1) == ']') {
                    int open = matchingOpen(decl, start - 1);
                    start = open;
                }
                dims = decl.substring(start, end);
                end = start;
                if (kind == Kind.SCALAR) {
                    kind = Kind.ARRAY;
                }
                arrayLength = product(dims);
            }
            int nameEnd = end;
            while (nameEnd > 0 && Character.isWhitespace(decl.charAt(nameEnd - 1))) {
                nameEnd--;
            }
            int nameStart = nameEnd;
            while (nameStart > 0 && isIdentifierChar(decl.charAt(nameStart - 1))) {
                nameStart--;
            }
            if (nameStart == nameEnd) {
                throw new IllegalArgumentException("no field name in '" + decl + "'");
            }
            String name = decl.substring(nameStart, nameEnd);
            String type = (decl.substring(0, nameStart).strip() + dims).strip();
            if (type.isEmpty()) {
                throw new IllegalArgumentException("no type in '" + decl + "'");
            }
            return new Field(name, type, offset, size, signed, kind, arrayLength);
        }

        private static int matchingOpen(String s, int close) {
            int depth = 0;
            for (int i = close; i >= 0; i--) {
                char c = s.charAt(i);
                if (c == ']') {
                    depth++;
                } else if (c == '[' && --depth == 0) {
                    return i;
                }
            }
            throw new IllegalArgumentException("unbalanced [] in '" + s + "'");
        }

        /** The element count of {@code [2][3]}, or -1 when a dimension is not a plain number. */
        private static int product(String dims) {
            long n = 1;
            for (String d : dims.split("\\]")) {
                String inner = d.replace("[", "").strip();
                if (!inner.matches("\\d+")) {
                    return -1;
                }
                n *= Long.parseLong(inner);
            }
            return n > Integer.MAX_VALUE ? -1 : (int) n;
        }

        private static boolean isIdentifierChar(char c) {
            return c == '_' || Character.isLetterOrDigit(c);
        }
    }
}
