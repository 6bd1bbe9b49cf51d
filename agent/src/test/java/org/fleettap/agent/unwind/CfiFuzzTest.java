package org.fleettap.agent.unwind;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.fleettap.agent.elf.ElfFile;
import org.fleettap.agent.elf.ElfFiles;
import org.fleettap.agent.elf.Section;
import org.fleettap.agent.testing.Fixtures;
import org.fleettap.agent.testing.Mutation;

/**
 * Fuzzes call frame information: mutated .eh_frame and .eh_frame_hdr of real binaries (fixtures without frame
 * pointers, libc) are parsed, every FDE's rows are computed and a few unwinds run, with format errors and shorter
 * stacks as the only outcomes; and random CFI expressions are evaluated, with an {@link UnwindException} or a value
 * as the only outcomes. Tries: {@code -Dfuzz.tries} (docs/fuzzing.md).
 */
final class CfiFuzzTest {
    /** The frame sections of one binary and pcs inside its first functions. */
    record Frames(String name, byte[] ehFrame, long ehAddr, byte[] hdr, long hdrAddr, long[] pcs) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final List<Frames> FRAMES = readFrames();

    private static List<Frames> readFrames() {
        List<Frames> out = new ArrayList<>();
        try {
            for (String name : List.of("threads-nofp", "state-nofp", "libc")) {
                ElfFile elf = ElfFiles.map(name.equals("libc") ? CfiReadelfTest.LIBC : Fixtures.path(name));
                Section eh = elf.section(".eh_frame").orElseThrow();
                Section hdr = elf.section(".eh_frame_hdr").orElseThrow();
                byte[] ehBytes = CfiCorruptionTest.bytes(elf.contents(eh));
                long[] pcs = FrameSection.ehFrame(ByteBuffer.wrap(ehBytes), eh.addr(), 0, 0, Optional.empty()).fdes()
                        .stream().limit(32).mapToLong(f -> f.pcBegin() + 2).toArray();
                out.add(new Frames(name, ehBytes, eh.addr(), CfiCorruptionTest.bytes(elf.contents(hdr)), hdr.addr(),
                        pcs));
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the frame sections", e);
        }
        return List.copyOf(out);
    }

    @Property
    void mutatedFrameSections(@ForAll("frames") Frames f,
            @ForAll(supplier = Mutation.Edits.class) List<Mutation> ehEdits,
            @ForAll("hdrEdits") List<Mutation> hdrEdits) {
        CfiCorruptionTest.exercise(Mutation.applyAll(f.ehFrame(), ehEdits), Mutation.applyAll(f.hdr(), hdrEdits),
                f.ehAddr(), f.hdrAddr(), f.pcs());
    }

    @Property
    void randomExpressions(@ForAll @Size(max = 48) byte[] code, @ForAll long register, @ForAll long memory) {
        DwarfExpression e = new DwarfExpression(code, ".eh_frame", 0);
        DwarfExpression.Machine m = new DwarfExpression.Machine() {
            @Override
            public long register(int reg) throws UnwindException {
                if (reg > 16) {
                    throw new UnwindException(StopReason.UNKNOWN_REGISTER, "no register " + reg);
                }
                return register + reg;
            }

            @Override
            public long read(long address, int size) {
                return memory ^ address;
            }
        };
        try {
            e.evaluate(m, 0x7ffd_0000L);
        } catch (UnwindException ex) {
            assertThat(ex.getMessage()).isNotBlank().doesNotContain("\n");
        }
    }

    @Provide
    Arbitrary<Frames> frames() {
        return Arbitraries.of(FRAMES);
    }

    @Provide
    Arbitrary<List<Mutation>> hdrEdits() {
        return Mutation.any().list().ofMaxSize(2);
    }
}
