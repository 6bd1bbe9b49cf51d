package org.fleettap.agent.dwarf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fleettap.agent.testing.LeBytes;
import org.junit.jupiter.api.Test;

/** Line programs assembled by hand: every header version and form, every opcode kind, and the lookup rule. */
final class LineProgramTest {
    private static final int[] STANDARD_LENGTHS = {0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1};

    /** A little-endian byte sink for DWARF encodings. */
    static final class Bytes extends LeBytes<Bytes> {
        /** An extended opcode: 0, length, sub-opcode, operands. */
        Bytes extended(int sub, Bytes operands) {
            byte[] ops = operands.toArray();
            return u8(0).uleb(ops.length + 1).u8(sub).bytes(ops);
        }

        Bytes setAddress(long address) {
            return extended(2, new Bytes().u64(address));
        }

        Bytes endSequence() {
            return extended(1, new Bytes());
        }
    }

    /** A whole unit: initial length, version, (v5: address and selector size), header length, header, program. */
    static byte[] unit(int version, boolean dwarf64, Bytes header, Bytes program) {
        Bytes afterLength = new Bytes().u16(version);
        if (version >= 5) {
            afterLength.u8(8, 0);
        }
        if (dwarf64) {
            afterLength.u64(header.size());
        } else {
            afterLength.u32(header.size());
        }
        afterLength.bytes(header.toArray()).bytes(program.toArray());
        Bytes unit = new Bytes();
        if (dwarf64) {
            unit.u32(0xffffffffL).u64(afterLength.size());
        } else {
            unit.u32(afterLength.size());
        }
        return unit.bytes(afterLength.toArray()).toArray();
    }

    /** The fixed header fields from min_inst_length to the standard opcode lengths. */
    static Bytes params(int version, int minInst, int maxOps, boolean isStmt, int lineBase, int lineRange,
            int[] lengths) {
        Bytes b = new Bytes().u8(minInst);
        if (version >= 4) {
            b.u8(maxOps);
        }
        b.u8(isStmt ? 1 : 0, lineBase & 0xff, lineRange, lengths.length + 1);
        for (int l : lengths) {
            b.u8(l);
        }
        return b;
    }

    static LineTable table(byte[] debugLine, LineStrings strings, Map<Long, String> compDirs) {
        return LineTable.of(ByteBuffer.wrap(debugLine), strings, compDirs);
    }

    static LineRow row(long address, String file, int line, boolean stmt) {
        return new LineRow(address, 0, file, line, 0, stmt, false, 0, false, false);
    }

    static LineRow end(long address, String file, int line) {
        return new LineRow(address, 0, file, line, 0, true, true, 0, false, false);
    }

    /** Version 2: opcode base 10 (so 10..12 are special), every standard opcode, define_file, discriminators. */
    static byte[] version2() {
        Bytes header = params(2, 1, 1, true, -5, 14, new int[] {0, 1, 1, 1, 1, 0, 0, 0, 1})
                .cstring("inc").cstring("/abs").u8(0)
                .cstring("a.c").uleb(0).uleb(0).uleb(0)
                .cstring("b.h").uleb(1).uleb(7).uleb(100)
                .cstring("c.h").uleb(2).uleb(0).uleb(0)
                .u8(0);
        Bytes program = new Bytes()
                .setAddress(0x1000)
                .u8(16)                                  // special: +0 address, +1 line -> 2
                .u8(3).sleb(20)                          // advance_line -> 22
                .u8(10)                                  // special (opcode base 10): +0, -5 -> 17
                .u8(4).uleb(2)                           // set_file b.h
                .extended(4, new Bytes().uleb(3))        // set_discriminator 3
                .u8(43)                                  // special: +2 address, +0 line
                .u8(6)                                   // negate_stmt
                .u8(9).u16(0x100)                        // fixed_advance_pc -> 0x1102
                .u8(1)                                   // copy
                .u8(8)                                   // const_add_pc: (255 - 10) / 14 = 17 -> 0x1113
                .u8(2).uleb(5)                           // advance_pc -> 0x1118
                .u8(5).uleb(7)                           // set_column 7
                .u8(3).sleb(-10)                         // advance_line -> 7
                .extended(3, new Bytes().cstring("d.c").uleb(2).uleb(0).uleb(0)) // define_file 4: /abs/d.c
                .u8(4).uleb(4)
                .u8(1)
                .u8(4).uleb(3)                           // c.h in /abs
                .u8(6)
                .u8(30)                                  // special: +1 address, +1 line
                .extended(0x80, new Bytes().u8(1, 2, 3)) // unknown extended opcode: skipped
                .endSequence()
                .setAddress(0x2000)
                .u8(1)
                .u8(2).uleb(4)
                .endSequence();
        return unit(2, false, header, program);
    }

    @Test
    void version2ProgramRunsEveryOpcode() throws Exception {
        LineTable t = table(version2(), LineStrings.NONE, Map.of(0L, "/cu"));

        assertThat(t.rows()).containsExactly(
                row(0x1000, "/cu/a.c", 2, true),
                row(0x1000, "/cu/a.c", 17, true),
                new LineRow(0x1002, 0, "/cu/inc/b.h", 17, 0, true, false, 3, false, false),
                row(0x1102, "/cu/inc/b.h", 17, false),
                new LineRow(0x1118, 0, "/abs/d.c", 7, 7, false, false, 0, false, false),
                new LineRow(0x1119, 0, "/abs/c.h", 8, 7, true, false, 0, false, false),
                new LineRow(0x1119, 0, "/abs/c.h", 8, 7, true, true, 0, false, false),
                row(0x2000, "/cu/a.c", 1, true),
                end(0x2004, "/cu/a.c", 1));
        assertThat(t.files()).containsExactly("/abs/c.h", "/abs/d.c", "/cu/a.c", "/cu/inc/b.h");
    }

    @Test
    void withoutCompilationDirectoryDwarf4PathsStayRelative() throws Exception {
        LineTable t = table(version2(), LineStrings.NONE, Map.of());

        assertThat(t.files()).containsExactly("/abs/c.h", "/abs/d.c", "a.c", "inc/b.h");
    }

    @Test
    void lookupTakesTheLastRowAtTheLargestAddressNotAbove() throws Exception {
        LineTable t = table(version2(), LineStrings.NONE, Map.of(0L, "/cu"));

        assertThat(t.lookup(0x1000).map(LineRow::line)).contains(17);
        assertThat(t.lookup(0x1001).map(LineRow::line)).contains(17);
        assertThat(t.lookup(0x1002).map(LineRow::discriminator)).contains(3);
        assertThat(t.lookup(0x1117).map(LineRow::address)).contains(0x1102L);
        assertThat(t.lookup(0x1118).map(LineRow::file)).contains("/abs/d.c");
        assertThat(t.lookup(0x1119)).isEmpty();
        assertThat(t.lookup(0x0fff)).isEmpty();
        assertThat(t.lookup(0x1500)).isEmpty();
        assertThat(t.lookup(0x2003).map(LineRow::toString)).contains("/cu/a.c:1@0x2000 stmt");
        assertThat(t.lookup(0x2004)).isEmpty();
        assertThat(t.lookup(-1L)).isEmpty();
    }

    @Test
    void overlappingSequencesAreAllSearched() throws Exception {
        Bytes header = params(3, 1, 1, true, -5, 14, STANDARD_LENGTHS).u8(0).cstring("a.c").uleb(0).uleb(0).uleb(0)
                .u8(0);
        Bytes program = new Bytes()
                .setAddress(0x1000).u8(3).sleb(9).u8(1).u8(2).uleb(0x100).endSequence()   // line 10: 0x1000-0x1100
                .setAddress(0x1010).u8(3).sleb(19).u8(1).u8(2).uleb(0x10).endSequence()   // line 20: 0x1010-0x1020
                .setAddress(0x0).u8(3).sleb(29).u8(1).u8(2).uleb(0x8).endSequence();      // line 30: 0x0-0x8
        LineTable t = table(unit(3, false, header, program), LineStrings.NONE, Map.of());

        assertThat(t.lookup(0x1018).map(LineRow::line)).contains(20);
        assertThat(t.lookup(0x1020).map(LineRow::line)).contains(10);
        assertThat(t.lookup(0x10ff).map(LineRow::line)).contains(10);
        assertThat(t.lookup(0x4).map(LineRow::line)).contains(30);
        assertThat(t.lookup(0x8)).isEmpty();
    }

    @Test
    void unknownStandardOpcodesAreSkippedByTheirOperandCounts() throws Exception {
        int[] lengths = {0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 2};
        Bytes header = params(3, 1, 1, true, -5, 14, lengths).u8(0).cstring("a.c").uleb(0).uleb(0).uleb(0).u8(0);
        Bytes program = new Bytes()
                .setAddress(0x400)
                .u8(13).uleb(0x12345).uleb(1)  // opcode 13: two LEB128 operands
                .u8(10).u8(11).u8(12).uleb(5)  // prologue_end, epilogue_begin, set_isa
                .u8(1)
                .u8(7)                         // basic_block
                .u8(14 + 5 + 14)               // special: +1 address, +0 line
                .endSequence();
        LineTable t = table(unit(3, false, header, program), LineStrings.NONE, Map.of());

        assertThat(t.rows()).containsExactly(
                new LineRow(0x400, 0, "a.c", 1, 0, true, false, 0, true, true),
                row(0x401, "a.c", 1, true),
                end(0x401, "a.c", 1));
    }

    @Test
    void version4VliwAdvancesTheOperationIndex() throws Exception {
        Bytes header = params(4, 4, 3, true, -5, 14, STANDARD_LENGTHS).u8(0).cstring("v.c").uleb(0).uleb(0).uleb(0)
                .u8(0);
        Bytes program = new Bytes()
                .setAddress(0x100)
                .u8(2).uleb(4).u8(1)          // 4 operations: bundle +1, op 1
                .u8(5 + 14 * 2 + 13)          // special: 2 operations -> bundle +1, op 0
                .u8(8)                        // const_add_pc: 17 operations -> 5 bundles, op 2
                .u8(1)
                .u8(9).u16(2).u8(1)           // fixed_advance_pc resets op_index
                .endSequence();
        LineTable t = table(unit(4, false, header, program), LineStrings.NONE, Map.of(0L, "/d"));

        assertThat(t.rows()).extracting(LineRow::address, LineRow::opIndex).containsExactly(
                org.assertj.core.groups.Tuple.tuple(0x104L, 1),
                org.assertj.core.groups.Tuple.tuple(0x108L, 0),
                org.assertj.core.groups.Tuple.tuple(0x11cL, 2),
                org.assertj.core.groups.Tuple.tuple(0x11eL, 0),
                org.assertj.core.groups.Tuple.tuple(0x11eL, 0));
        assertThat(t.files()).containsExactly("/d/v.c");
    }

    /** .debug_line_str: "/comp" at 0, "sub" at 6, "/usr/include" at 10. */
    static final byte[] LINE_STR = new Bytes().cstring("/comp").cstring("sub").cstring("/usr/include").toArray();
    /** .debug_str: "/c2" at 0, "z.c" at 4. */
    static final byte[] STR = new Bytes().cstring("/c2").cstring("z.c").toArray();
    /** .debug_str_offsets, one contribution: index 0 is "z.c". */
    static final byte[] STR_OFFSETS = new Bytes().u32(8).u16(5).u16(0).u32(4).toArray();

    static LineStrings strings() {
        return new LineStrings(Optional.of(ByteBuffer.wrap(LINE_STR)), Optional.of(ByteBuffer.wrap(STR)),
                Optional.of(ByteBuffer.wrap(STR_OFFSETS)));
    }

    static byte[] version5(boolean dwarf64) {
        Bytes header = params(5, 1, 1, false, -3, 12, STANDARD_LENGTHS)
                .u8(1).uleb(1).uleb(0x1f)                           // directories: path as line_strp
                .uleb(3);
        for (long off : new long[] {0, 6, 10}) {
            if (dwarf64) {
                header.u64(off);
            } else {
                header.u32(off);
            }
        }
        header.u8(6)                                                // files: six columns
                .uleb(1).uleb(0x08)                                 // path, string
                .uleb(2).uleb(0x0f)                                 // directory index, udata
                .uleb(5).uleb(0x1e)                                 // MD5, data16
                .uleb(0x2001).uleb(0x09)                            // vendor (LLVM source), block
                .uleb(3).uleb(0x06)                                 // timestamp, data4
                .uleb(4).uleb(0x07)                                 // size, data8
                .uleb(3);
        String[] names = {"main.c", "x.h", "/abs/y.h"};
        for (int i = 0; i < names.length; i++) {
            header.cstring(names[i]).uleb(i).bytes(new byte[16]).uleb(3).u8(1, 2, 3).u32(0x5f000000L).u64(1234);
        }
        Bytes program = new Bytes()
                .setAddress(0x7000)
                .u8(1)                                              // file 1 (0-based in v5): x.h
                .u8(4).uleb(0).u8(13 + 3 + 12)                      // main.c, +1 address, +0 line
                .u8(4).uleb(2).u8(6).u8(13 + 3 + 1)                 // /abs/y.h, stmt, +0 address, +1 line
                .u8(2).uleb(1)
                .endSequence();
        return unit(5, dwarf64, header, program);
    }

    @Test
    void version5TablesInEveryFormGccAndClangUse() throws Exception {
        LineTable t = table(version5(false), strings(), Map.of(0L, "/ignored"));

        assertThat(t.rows()).containsExactly(
                row(0x7000, "/comp/sub/x.h", 1, false),
                row(0x7001, "/comp/main.c", 1, false),
                row(0x7001, "/abs/y.h", 2, true),
                end(0x7002, "/abs/y.h", 2));
    }

    @Test
    void sixtyFourBitDwarf() throws Exception {
        assertThat(table(version5(true), strings(), Map.of()).rows())
                .isEqualTo(table(version5(false), strings(), Map.of()).rows());
    }

    @Test
    void stringOffsetsAndStrpForms() throws Exception {
        Bytes header = params(5, 1, 1, true, -5, 14, STANDARD_LENGTHS)
                .u8(1).uleb(1).uleb(0x0e).uleb(1).u32(0)                      // directory "/c2" as strp
                .u8(2).uleb(1).uleb(0x25).uleb(2).uleb(0x05).uleb(1).u8(0).u16(0); // "z.c" as strx1, data2 dir
        Bytes program = new Bytes().setAddress(0x10).u8(4).uleb(0).u8(1).u8(2).uleb(1).endSequence();
        byte[] first = unit(5, false, header, program);
        byte[] both = new Bytes().bytes(version2()).bytes(first).toArray();
        LineTable t = table(both, strings(), Map.of(0L, "/cu"));

        assertThat(t.files()).containsExactly("/abs/c.h", "/abs/d.c", "/c2/z.c", "/cu/a.c", "/cu/inc/b.h");
        assertThat(t.lookup(0x10).map(LineRow::file)).contains("/c2/z.c");
        assertThat(t.lookup(0x1000).map(LineRow::file)).contains("/cu/a.c");

        LineStrings twoContributions = new LineStrings(Optional.empty(), Optional.of(ByteBuffer.wrap(STR)),
                Optional.of(ByteBuffer.wrap(new Bytes().bytes(STR_OFFSETS).bytes(STR_OFFSETS).toArray())));
        assertThatThrownBy(() -> table(first, twoContributions, Map.of()).rows())
                .isInstanceOf(DwarfFormatException.class).hasMessageContaining("DW_AT_str_offsets_base");
        assertThatThrownBy(() -> table(first, LineStrings.NONE, Map.of()).rows())
                .isInstanceOf(DwarfFormatException.class).hasMessageContaining(".debug_str");
    }

    @Test
    void malformedHeadersAndOpcodesAreOneLineErrors() {
        Bytes files = new Bytes().u8(0).cstring("a.c").uleb(0).uleb(0).uleb(0).u8(0);
        Bytes ok = new Bytes().setAddress(0).u8(1).endSequence();
        assertError(unit(6, false, params(4, 1, 1, true, -5, 14, STANDARD_LENGTHS).bytes(files.toArray()), ok),
                ".debug_line+0x0: unsupported line table version 6");
        assertError(unit(1, false, params(4, 1, 1, true, -5, 14, STANDARD_LENGTHS).bytes(files.toArray()), ok),
                "unsupported line table version 1");
        assertError(unit(4, false, params(4, 1, 1, true, -5, 0, STANDARD_LENGTHS).bytes(files.toArray()), ok),
                "line range is 0");
        assertError(unit(4, false, params(4, 1, 0, true, -5, 14, STANDARD_LENGTHS).bytes(files.toArray()), ok),
                "maximum operations per instruction is 0");
        Bytes header = params(4, 1, 1, true, -5, 14, STANDARD_LENGTHS).bytes(files.toArray());
        assertError(unit(4, false, header, new Bytes().u8(0).uleb(0)), "extended opcode of length 0");
        assertError(unit(4, false, header, new Bytes().u8(4).uleb(9).u8(1)), "row names file 9 of 1");
        assertError(unit(4, false, header, new Bytes().u8(0).uleb(100).u8(2)), "truncated");
        assertError(unit(4, false, params(4, 1, 1, true, -5, 14, STANDARD_LENGTHS).u8(0).cstring("a.c").uleb(3)
                .uleb(0).uleb(0).u8(0), ok), "file a.c names directory 3 of 0");
        assertError(unit(5, false, params(5, 1, 1, true, -5, 14, STANDARD_LENGTHS).u8(1).uleb(1).uleb(0x21)
                .uleb(1).u8(0), ok), "unsupported form 0x21 in a line table header");
        assertError(unit(5, false, params(5, 1, 1, true, -5, 14, STANDARD_LENGTHS).u8(1).uleb(2).uleb(0x0b)
                .uleb(1000000), ok), "1000000 directory entries without a path");
        assertError(unit(5, false, params(5, 1, 1, true, -5, 14, STANDARD_LENGTHS).u8(1).uleb(1).uleb(0x08)
                .uleb(1L << 40), ok), "1099511627776 directory entries in 0 bytes");
        assertError(new Bytes().u32(0xfffffff5L).toArray(), "reserved initial length");
    }

    private static void assertError(byte[] debugLine, String message) {
        LineTable t = table(debugLine, LineStrings.NONE, Map.of());
        assertThatThrownBy(t::rows).isInstanceOf(DwarfFormatException.class).hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        // the failure is remembered, not recomputed, and every query reports it
        assertThatThrownBy(() -> t.lookup(0)).isInstanceOf(DwarfFormatException.class)
                .hasMessageContaining(message);
    }

    @Test
    void rowsAreImmutable() throws Exception {
        List<LineRow> rows = table(version2(), LineStrings.NONE, Map.of()).rows();
        assertThatThrownBy(() -> rows.add(rows.get(0))).isInstanceOf(UnsupportedOperationException.class);
    }
}
