package org.fleettap.agent.unwind;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.dwarf.DwarfReader;

/** Runs the DW_CFA instructions of a CIE and an FDE to build rows of the CFI table. */
final class CfiProgram {
    /** Deepest DW_CFA_remember_state nesting accepted. */
    static final int MAX_REMEMBERED = 64;
    /** Most distinct registers a table may name. */
    static final int MAX_REGISTERS = 512;

    private final FrameSection section;
    private final Fde fde;
    private final Cie cie;
    private final Map<Integer, RegisterRule> rules = new HashMap<>();
    private Map<Integer, RegisterRule> initial = Map.of();
    private CfaRule cfa;
    private long loc;

    private CfiProgram(FrameSection section, Fde fde) {
        this.section = section;
        this.fde = fde;
        this.cie = fde.cie();
        this.loc = fde.pcBegin();
    }

    /** The row of {@code fde} that holds link-time {@code pc}. */
    static UnwindRow row(FrameSection section, Fde fde, long pc) throws DwarfFormatException {
        List<UnwindRow> out = new ArrayList<>(1);
        new CfiProgram(section, fde).run(pc, out);
        return out.get(out.size() - 1);
    }

    /** Every row of {@code fde}'s table in pc order (rows of empty ranges left out). */
    static List<UnwindRow> rows(FrameSection section, Fde fde) throws DwarfFormatException {
        List<UnwindRow> out = new ArrayList<>();
        new CfiProgram(section, fde).run(-1L, out);
        return out;
    }

    /** Runs the CIE's initial instructions, then the FDE's up to the row holding {@code pc} (unsigned). */
    private void run(long pc, List<UnwindRow> out) throws DwarfFormatException {
        DwarfReader all = section.reader();
        DwarfReader cieCode = all.at(cie.instructionsStart()).slice(cie.instructionsEnd() - cie.instructionsStart());
        execute(cieCode, -1L, null);
        initial = Map.copyOf(rules);
        DwarfReader fdeCode = all.at(fde.instructionsStart()).slice(fde.instructionsEnd() - fde.instructionsStart());
        if (execute(fdeCode, pc, out)) {
            return;
        }
        if (pc != -1L || Long.compareUnsigned(loc, fde.pcEnd()) < 0) {
            out.add(snapshot(fde.pcEnd()));
        }
    }

    /**
     * Executes instructions until the end or, with {@code out}, until a location advances past {@code pc};
     * returns whether it stopped there (having added the row that holds pc).
     */
    private boolean execute(DwarfReader r, long pc, List<UnwindRow> out) throws DwarfFormatException {
        Deque<Saved> remembered = new ArrayDeque<>();
        while (r.hasRemaining()) {
            int at = r.position();
            int op = r.u8();
            int high = op & 0xc0;
            int low = op & 0x3f;
            if (high == 0x40) {
                if (advance(loc + low * cie.codeAlign(), pc, out)) {
                    return true;
                }
                continue;
            }
            if (high == 0x80) {
                set(r, at, low, new RegisterRule.Offset(r.uleb() * cie.dataAlign()));
                continue;
            }
            if (high == 0xc0) {
                restore(low);
                continue;
            }
            switch (op) {
                case 0x00 -> { // nop
                }
                case 0x01 -> { // set_loc
                    long to = section.isEhFrame()
                            ? section.readPointer(r, cie.fdeEncoding(), fde.pcBegin())
                            : r.unsigned(cie.addressSize());
                    if (Long.compareUnsigned(to, loc) < 0) {
                        throw r.error(at, "DW_CFA_set_loc moves backwards");
                    }
                    if (advance(to, pc, out)) {
                        return true;
                    }
                }
                case 0x02 -> {
                    if (advance(loc + r.u8() * cie.codeAlign(), pc, out)) {
                        return true;
                    }
                }
                case 0x03 -> {
                    if (advance(loc + r.u16() * cie.codeAlign(), pc, out)) {
                        return true;
                    }
                }
                case 0x04 -> {
                    if (advance(loc + r.u32() * cie.codeAlign(), pc, out)) {
                        return true;
                    }
                }
                case 0x05 -> set(r, at, r.uleb(), new RegisterRule.Offset(r.uleb() * cie.dataAlign()));
                case 0x06 -> restore(register(r, at, r.uleb()));
                case 0x07 -> set(r, at, r.uleb(), new RegisterRule.Undefined());
                case 0x08 -> set(r, at, r.uleb(), new RegisterRule.SameValue());
                case 0x09 -> {
                    long reg = r.uleb();
                    set(r, at, reg, new RegisterRule.InRegister(register(r, at, r.uleb())));
                }
                case 0x0a -> {
                    if (remembered.size() >= MAX_REMEMBERED) {
                        throw r.error(at, "DW_CFA_remember_state nested deeper than " + MAX_REMEMBERED);
                    }
                    remembered.push(new Saved(Map.copyOf(rules), cfa));
                }
                case 0x0b -> {
                    if (remembered.isEmpty()) {
                        throw r.error(at, "DW_CFA_restore_state without DW_CFA_remember_state");
                    }
                    Saved s = remembered.pop();
                    rules.clear();
                    rules.putAll(s.rules());
                    cfa = s.cfa();
                }
                case 0x0c -> cfa = new CfaRule.RegisterOffset(register(r, at, r.uleb()), r.uleb());
                case 0x0d -> cfa = new CfaRule.RegisterOffset(register(r, at, r.uleb()), cfaOffset(r, at));
                case 0x0e -> cfa = new CfaRule.RegisterOffset(cfaRegister(r, at), r.uleb());
                case 0x0f -> cfa = new CfaRule.Expression(block(r));
                case 0x10 -> {
                    long reg = r.uleb();
                    set(r, at, reg, new RegisterRule.Expression(block(r)));
                }
                case 0x11 -> set(r, at, r.uleb(), new RegisterRule.Offset(r.sleb() * cie.dataAlign()));
                case 0x12 -> cfa = new CfaRule.RegisterOffset(register(r, at, r.uleb()),
                        r.sleb() * cie.dataAlign());
                case 0x13 -> cfa = new CfaRule.RegisterOffset(cfaRegister(r, at), r.sleb() * cie.dataAlign());
                case 0x14 -> set(r, at, r.uleb(), new RegisterRule.ValOffset(r.uleb() * cie.dataAlign()));
                case 0x15 -> set(r, at, r.uleb(), new RegisterRule.ValOffset(r.sleb() * cie.dataAlign()));
                case 0x16 -> {
                    long reg = r.uleb();
                    set(r, at, reg, new RegisterRule.ValExpression(block(r)));
                }
                case 0x2e -> r.uleb(); // GNU_args_size: only matters to exception handling
                case 0x2f -> set(r, at, r.uleb(), new RegisterRule.Offset(-r.uleb() * cie.dataAlign()));
                default -> throw r.error(at, "unsupported call frame instruction 0x" + Integer.toHexString(op));
            }
        }
        return false;
    }

    /** Moves to {@code to}; when collecting, ends the current row there and reports whether it holds pc. */
    private boolean advance(long to, long pc, List<UnwindRow> out) {
        if (out == null) {
            loc = to;
            return false;
        }
        if (Long.compareUnsigned(to, loc) > 0) {
            UnwindRow row = snapshot(to);
            if (pc == -1L) {
                out.add(row);
            } else if (Long.compareUnsigned(pc, to) < 0) {
                out.add(row);
                return true;
            }
        }
        loc = to;
        return false;
    }

    private UnwindRow snapshot(long end) {
        return new UnwindRow(loc, end, Optional.ofNullable(cfa), rules, cie.returnAddressRegister(),
                cie.signalFrame());
    }

    private void set(DwarfReader r, int at, long reg, RegisterRule rule) throws DwarfFormatException {
        int n = register(r, at, reg);
        if (!rules.containsKey(n) && rules.size() >= MAX_REGISTERS) {
            throw r.error(at, "more than " + MAX_REGISTERS + " registers");
        }
        rules.put(n, rule);
    }

    private void restore(int reg) {
        RegisterRule rule = initial.get(reg);
        if (rule == null) {
            rules.remove(reg);
        } else {
            rules.put(reg, rule);
        }
    }

    private long cfaOffset(DwarfReader r, int at) throws DwarfFormatException {
        if (cfa instanceof CfaRule.RegisterOffset ro) {
            return ro.offset();
        }
        throw r.error(at, "DW_CFA_def_cfa_register without a register-based CFA");
    }

    private int cfaRegister(DwarfReader r, int at) throws DwarfFormatException {
        if (cfa instanceof CfaRule.RegisterOffset ro) {
            return ro.register();
        }
        throw r.error(at, "DW_CFA_def_cfa_offset without a register-based CFA");
    }

    private DwarfExpression block(DwarfReader r) throws DwarfFormatException {
        long length = r.uleb();
        int start = r.position();
        DwarfReader b = r.slice(length);
        byte[] code = new byte[(int) length];
        for (int i = 0; i < code.length; i++) {
            code[i] = (byte) b.u8();
        }
        return new DwarfExpression(code, section.name(), start);
    }

    private static int register(DwarfReader r, int at, long reg) throws DwarfFormatException {
        if (reg < 0 || reg > 0xffff) {
            throw r.error(at, "register number " + Long.toUnsignedString(reg));
        }
        return (int) reg;
    }

    /** A DW_CFA_remember_state snapshot (register rules and, as GCC and readelf do, the CFA). */
    private record Saved(Map<Integer, RegisterRule> rules, CfaRule cfa) {
    }
}
