package org.fleettap.agent.elf;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Parses x86-64 SDT argument strings ({@code [-]N[f]@operand}, AT&T syntax) into {@link SdtArg}s. */
final class SdtArgParser {
    private static final Set<Integer> SIZES = Set.of(1, 2, 4, 8, 16);
    private static final Set<String> HIGH_BYTE = Set.of("ah", "bh", "ch", "dh");
    private static final Map<String, SdtOperand.Register> REGISTERS = registers();

    private SdtArgParser() {
    }

    static SdtArg parse(String text) throws ElfFormatException {
        try {
            return parseOrThrow(text);
        } catch (IllegalArgumentException e) {
            // The reason quotes parts of the argument (the file's text): escaped like the argument itself.
            throw new ElfFormatException("cannot parse SDT argument '" + ElfFormatException.printable(text) + "': "
                    + ElfFormatException.printable(e.getMessage()), e);
        }
    }

    private static SdtArg parseOrThrow(String text) {
        int at = text.indexOf('@');
        if (at < 0) {
            throw new IllegalArgumentException("missing size prefix (N@)");
        }
        String prefix = text.substring(0, at);
        boolean signed = prefix.startsWith("-");
        String digits = signed ? prefix.substring(1) : prefix;
        boolean floating = digits.endsWith("f");
        if (floating) {
            digits = digits.substring(0, digits.length() - 1);
        }
        if (digits.isEmpty() || digits.length() > 2 || !digits.chars().allMatch(Character::isDigit)
                || !SIZES.contains(Integer.parseInt(digits))) {
            throw new IllegalArgumentException("size prefix '" + prefix + "' is not one of 1, 2, 4, 8, 16");
        }
        String operand = text.substring(at + 1);
        if (operand.isEmpty()) {
            throw new IllegalArgumentException("missing operand after '@'");
        }
        return new SdtArg(text, Integer.parseInt(digits), signed, floating, operand(operand));
    }

    private static SdtOperand operand(String text) {
        if (text.startsWith("%")) {
            return register(text);
        }
        if (text.startsWith("$")) {
            return new SdtOperand.Constant(number(text.substring(1)));
        }
        return memory(text);
    }

    private static SdtOperand.Register register(String text) {
        if (!text.startsWith("%")) {
            throw new IllegalArgumentException("expected a register, found '" + text + "'");
        }
        String name = text.substring(1);
        if (HIGH_BYTE.contains(name)) {
            throw new IllegalArgumentException("high-byte register " + text + " is not supported");
        }
        SdtOperand.Register register = REGISTERS.get(name);
        if (register == null) {
            throw new IllegalArgumentException("unknown register " + text);
        }
        return register;
    }

    private static SdtOperand memory(String text) {
        int open = text.indexOf('(');
        String displacementText = open < 0 ? text : text.substring(0, open);
        String symbol = symbol(displacementText);
        String rest = displacementText.substring(symbol.length());
        if (!symbol.isEmpty() && !rest.isEmpty() && !rest.startsWith("+") && !rest.startsWith("-")) {
            throw new IllegalArgumentException("expected '+' or '-' after symbol '" + symbol + "'");
        }
        long displacement = rest.isEmpty() ? 0 : number(rest);
        if (open < 0) {
            if (symbol.isEmpty() && rest.isEmpty()) {
                throw new IllegalArgumentException("empty memory operand");
            }
            return new SdtOperand.Memory(symbol, displacement, Optional.empty(), Optional.empty(), 1);
        }
        if (!text.endsWith(")") || text.indexOf('(', open + 1) >= 0 || text.indexOf(')') != text.length() - 1) {
            throw new IllegalArgumentException("malformed address '" + text.substring(open) + "'");
        }
        String[] parts = text.substring(open + 1, text.length() - 1).split(",", -1);
        if (parts.length > 3) {
            throw new IllegalArgumentException("too many parts in address '" + text.substring(open) + "'");
        }
        Optional<String> base = parts[0].isEmpty() ? Optional.empty() : Optional.of(addressRegister(parts[0], true));
        Optional<String> index = parts.length > 1 ? Optional.of(addressRegister(parts[1], false)) : Optional.empty();
        int scale = 1;
        if (parts.length > 2) {
            scale = switch (parts[2]) {
                case "1" -> 1;
                case "2" -> 2;
                case "4" -> 4;
                case "8" -> 8;
                default -> throw new IllegalArgumentException("scale '" + parts[2] + "' is not 1, 2, 4 or 8");
            };
        }
        if (base.isEmpty() && index.isEmpty()) {
            throw new IllegalArgumentException("address without base or index register");
        }
        if (base.equals(Optional.of("rip"))) {
            if (index.isPresent()) {
                throw new IllegalArgumentException("rip-relative address with an index register");
            }
            if (symbol.isEmpty()) {
                throw new IllegalArgumentException("rip-relative address without a symbol");
            }
            return new SdtOperand.RipRelative(symbol, displacement);
        }
        return new SdtOperand.Memory(symbol, displacement, base, index, scale);
    }

    private static String addressRegister(String text, boolean isBase) {
        if (isBase && text.equals("%rip")) {
            return "rip";
        }
        SdtOperand.Register register = register(text);
        if (register.width() != 8) {
            throw new IllegalArgumentException("address register " + text + " is not a 64-bit register");
        }
        if (!isBase && register.name().equals("rsp")) {
            throw new IllegalArgumentException("%rsp cannot be an index register");
        }
        return register.name();
    }

    /** The symbol at the start of a displacement ("" if it starts with a number or is empty). */
    private static String symbol(String text) {
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            boolean start = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
            if (!(start || (i > 0 && ((c >= '0' && c <= '9') || c == '$')))) {
                break;
            }
            i++;
        }
        return text.substring(0, i);
    }

    private static long number(String text) {
        String digits = text;
        boolean negative = false;
        if (digits.startsWith("-") || digits.startsWith("+")) {
            negative = digits.startsWith("-");
            digits = digits.substring(1);
        }
        int radix = 10;
        if (digits.startsWith("0x") || digits.startsWith("0X")) {
            radix = 16;
            digits = digits.substring(2);
        }
        if (digits.isEmpty() || digits.chars().anyMatch(c -> Character.digit(c, 16) < 0 || c > 0x7f)) {
            throw new IllegalArgumentException("'" + text + "' is not a number");
        }
        try {
            long value = Long.parseUnsignedLong(digits, radix);
            if (negative && Long.compareUnsigned(value, Long.MIN_VALUE) > 0) {
                throw new IllegalArgumentException("'" + text + "' is out of range");
            }
            return negative ? -value : value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a number", e);
        }
    }

    private static Map<String, SdtOperand.Register> registers() {
        Map<String, SdtOperand.Register> map = new HashMap<>();
        String[][] legacy = {
            {"rax", "eax", "ax", "al"}, {"rbx", "ebx", "bx", "bl"}, {"rcx", "ecx", "cx", "cl"},
            {"rdx", "edx", "dx", "dl"}, {"rsi", "esi", "si", "sil"}, {"rdi", "edi", "di", "dil"},
            {"rbp", "ebp", "bp", "bpl"}, {"rsp", "esp", "sp", "spl"},
        };
        for (String[] names : legacy) {
            add(map, names);
        }
        for (int n = 8; n <= 15; n++) {
            String r = "r" + n;
            add(map, new String[] {r, r + "d", r + "w", r + "b"});
        }
        return Map.copyOf(map);
    }

    private static void add(Map<String, SdtOperand.Register> map, String[] names) {
        int[] widths = {8, 4, 2, 1};
        for (int i = 0; i < names.length; i++) {
            map.put(names[i], new SdtOperand.Register(names[0], widths[i]));
        }
    }
}
