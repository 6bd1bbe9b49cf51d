package org.fleettap.agent.unwind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.elf.Section;
import org.fleettap.agent.perf.X86Reg;
import org.fleettap.agent.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Truncated and bit-flipped .eh_frame / .eh_frame_hdr: errors (or fewer frames), quickly, never a crash or hang. */
class CfiCorruptionTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"threads-nofp", "state-nofp", "libc"})
    void truncatedPrefixesAndSeededFlips(String name) throws Exception {
        ElfFile elf = ElfFiles.map(name.equals("libc") ? CfiReadelfTest.LIBC : Fixtures.path(name));
        Section ehs = elf.section(".eh_frame").orElseThrow();
        Section hdrs = elf.section(".eh_frame_hdr").orElseThrow();
        byte[] eh = bytes(elf.contents(ehs));
        byte[] hdr = bytes(elf.contents(hdrs));
        List<Fde> good = FrameSection.ehFrame(ByteBuffer.wrap(eh), ehs.addr(), 0, 0, Optional.empty()).fdes();
        long[] pcs = good.stream().limit(200).mapToLong(f -> f.pcBegin() + 2).toArray();
        int step = Math.max(1, eh.length / 400);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int errors = 0;
            for (int len = 0; len < eh.length; len += step) {
                errors += exercise(java.util.Arrays.copyOf(eh, len), null, ehs.addr(), hdrs.addr(), pcs);
            }
            assertThat(errors).as("truncations that failed to parse").isPositive();
            Random random = new Random(42);
            for (int i = 0; i < 300; i++) {
                byte[] e = eh.clone();
                byte[] h = hdr.clone();
                for (int k = 1 + random.nextInt(8); k > 0; k--) {
                    if (random.nextInt(4) == 0) {
                        h[random.nextInt(h.length)] ^= (byte) (1 << random.nextInt(8));
                    } else {
                        e[random.nextInt(e.length)] = (byte) random.nextInt(256);
                    }
                }
                exercise(e, h, ehs.addr(), hdrs.addr(), pcs);
            }
        });
    }

    /** Parses everything and unwinds a little; returns 1 if some step reported a format error. */
    static int exercise(byte[] eh, byte[] hdr, long ehAddr, long hdrAddr, long[] pcs) {
        int errors = 0;
        FrameSection s;
        try {
            Optional<EhFrameHdr> h = hdr == null ? Optional.empty()
                    : Optional.of(EhFrameHdr.parse(ByteBuffer.wrap(hdr), hdrAddr));
            s = FrameSection.ehFrame(ByteBuffer.wrap(eh), ehAddr, 0, 0, h);
        } catch (DwarfFormatException e) {
            s = FrameSection.ehFrame(ByteBuffer.wrap(eh), ehAddr, 0, 0, Optional.empty());
            errors = 1;
        }
        try {
            for (Fde f : s.fdes()) {
                CfiProgram.rows(s, f);
            }
        } catch (DwarfFormatException e) {
            errors = 1;
        }
        CallFrameInfo cfi = new CallFrameInfo(List.of(s));
        Unwinder unwinder = new Unwinder(a -> Optional.of(new Module("m", cfi, 0)), 16);
        ByteBuffer stack = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 64; i++) {
            stack.putLong(i * 8, pcs[i % pcs.length]);
        }
        for (long pc : pcs) {
            try {
                cfi.row(pc);
            } catch (DwarfFormatException e) {
                errors = 1;
            }
            UnwindResult r = unwinder.unwind(UserRegisters.none().with(X86Reg.IP, pc).with(X86Reg.SP, 0x10000)
                    .with(X86Reg.BP, 0x10010).with(X86Reg.BX, 1), stack.duplicate());
            assertThat(r.frames()).isNotEmpty();
        }
        return errors;
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
