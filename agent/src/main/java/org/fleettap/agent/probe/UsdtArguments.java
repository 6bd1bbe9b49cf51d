package org.fleettap.agent.probe;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfSymbol;
import org.fleettap.agent.elf.SdtArg;
import org.fleettap.agent.elf.SdtOperand;
import org.fleettap.agent.tracefs.FetchArg;
import org.fleettap.agent.tracefs.FetchLocation;
import org.fleettap.agent.tracefs.FetchType;
import org.fleettap.agent.tracefs.TracepointFormat;

/**
 * USDT mark arguments: turned into tracefs fetch args ({@code arg1=-16(%bp):s64}) so the kernel reads registers and
 * memory in the probe, and decoded from the recorded raw data. Constants ({@code $5}) are known from the note and
 * fetched from nowhere.
 */
public final class UsdtArguments {
    private UsdtArguments() {
    }

    /** Fetch args for every non-constant argument of a mark, named arg1..argN by position. */
    static List<FetchArg> fetchArgs(UprobeSite site, ElfFile elf) throws ProbeException {
        List<FetchArg> out = new ArrayList<>();
        List<SdtArg> args = site.markArgs();
        for (int i = 0; i < args.size(); i++) {
            SdtArg a = args.get(i);
            if (a.operand() instanceof SdtOperand.Constant) {
                continue;
            }
            if (a.floatingPoint()) {
                throw new ProbeException(site.describe() + ": argument " + (i + 1) + " '" + a.text()
                        + "' is floating point, which a probe cannot read");
            }
            out.add(FetchArg.of("arg" + (i + 1), location(site, elf, i, a), type(a)));
        }
        return out;
    }

    private static FetchLocation location(UprobeSite site, ElfFile elf, int i, SdtArg a) throws ProbeException {
        SdtOperand op = a.operand();
        if (op instanceof SdtOperand.Register r) {
            return FetchLocation.register(ptRegsName(r.name()));
        }
        if (op instanceof SdtOperand.RipRelative rip) {
            return FetchLocation.fileOffset(symbolFileOffset(site, elf, i, a, rip.symbol(), rip.displacement()));
        }
        if (op instanceof SdtOperand.Memory m) {
            if (m.index().isPresent()) {
                throw new ProbeException(site.describe() + ": argument " + (i + 1) + " '" + a.text()
                        + "' uses an index register, which tracefs fetch args cannot express");
            }
            if (m.base().isPresent()) {
                if (!m.symbol().isEmpty()) {
                    throw new ProbeException(site.describe() + ": argument " + (i + 1) + " '" + a.text()
                            + "' adds a symbol to a register, which tracefs fetch args cannot express");
                }
                return FetchLocation.deref(m.displacement(), FetchLocation.register(ptRegsName(m.base().get())));
            }
            if (!m.symbol().isEmpty()) {
                return FetchLocation.fileOffset(symbolFileOffset(site, elf, i, a, m.symbol(), m.displacement()));
            }
            return FetchLocation.memory(m.displacement());
        }
        throw new ProbeException(site.describe() + ": argument " + (i + 1) + " '" + a.text() + "' not supported");
    }

    /**
     * The {@code @+X} of a global the mark reads: the kernel adds X to the probed file's load base as the probe
     * hit gives it (the hit's address minus the probe's file offset), so X is the symbol's address minus the
     * probe's (link-time address - file offset) — not the symbol's own file offset, which differs for .data
     * and does not exist for .bss.
     */
    private static long symbolFileOffset(UprobeSite site, ElfFile elf, int i, SdtArg a, String symbol, long disp)
            throws ProbeException {
        long probeDelta = Long.MIN_VALUE;
        for (org.fleettap.agent.elf.ProgramHeader ph : elf.programHeaders()) {
            if (ph.isLoad() && site.fileOffset() >= ph.offset() && site.fileOffset() < ph.offset() + ph.filesz()) {
                probeDelta = ph.vaddr() - ph.offset();
            }
        }
        for (ElfSymbol s : elf.symbolsNamed(symbol)) {
            if (s.isDefined() && probeDelta != Long.MIN_VALUE && s.value() + disp - probeDelta >= 0) {
                return s.value() + disp - probeDelta;
            }
        }
        throw new ProbeException(site.describe() + ": argument " + (i + 1) + " '" + a.text() + "': symbol '"
                + symbol + "' is not defined in " + site.binary());
    }

    private static FetchType type(SdtArg a) {
        switch (a.size()) {
            case 1: return a.signed() ? FetchType.S8 : FetchType.U8;
            case 2: return a.signed() ? FetchType.S16 : FetchType.U16;
            case 4: return a.signed() ? FetchType.S32 : FetchType.U32;
            default: return a.signed() ? FetchType.S64 : FetchType.U64;
        }
    }

    /** The pt_regs name tracefs uses for a 64-bit register: rax → ax, r8 → r8, rip → ip. */
    static String ptRegsName(String reg64) {
        String r = reg64.startsWith("%") ? reg64.substring(1) : reg64;
        if (r.length() == 3 && r.charAt(0) == 'r' && Character.isLetter(r.charAt(1))) {
            return r.substring(1);
        }
        return r;
    }

    /**
     * The values of a mark's arguments in one raw sample: constants from the note, the rest from the fields the
     * dynamic event recorded. {@code base} is the raw data's position in {@code raw}.
     */
    public static long[] decode(UprobeSite site, TracepointFormat format, ByteBuffer raw, int base) {
        List<SdtArg> args = site.markArgs();
        long[] values = new long[args.size()];
        for (int i = 0; i < args.size(); i++) {
            SdtArg a = args.get(i);
            if (a.operand() instanceof SdtOperand.Constant c) {
                values[i] = c.value();
            } else {
                values[i] = format.requireField("arg" + (i + 1)).readLong(raw, base);
            }
        }
        return values;
    }
}
