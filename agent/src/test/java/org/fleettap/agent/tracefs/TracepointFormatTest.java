package org.fleettap.agent.tracefs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.fleettap.agent.tracefs.TracepointFormat.Field;
import org.fleettap.agent.tracefs.TracepointFormat.Kind;
import org.junit.jupiter.api.Test;

class TracepointFormatTest {

    /** events/syscalls/sys_enter_futex/format as kernel 6.18 (x86-64) prints it. */
    static final String SYS_ENTER_FUTEX = """
            name: sys_enter_futex
            ID: 522
            format:
            \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
            \tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
            \tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
            \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

            \tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
            \tfield:u32 * uaddr;\toffset:16;\tsize:8;\tsigned:0;
            \tfield:int op;\toffset:24;\tsize:8;\tsigned:0;
            \tfield:u32 val;\toffset:32;\tsize:8;\tsigned:0;
            \tfield:const struct __kernel_timespec * utime;\toffset:40;\tsize:8;\tsigned:0;
            \tfield:u32 * uaddr2;\toffset:48;\tsize:8;\tsigned:0;
            \tfield:u32 val3;\toffset:56;\tsize:8;\tsigned:0;

            print fmt: "uaddr: 0x%08lx, op: 0x%08lx", ((unsigned long)(REC->uaddr)), ((unsigned long)(REC->op))
            """;

    /** A made-up event with every kind of field. */
    static final String SYNTHETIC = """
            name: every_kind
            ID: 4242
            format:
            \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
            \tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
            \tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
            \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

            \tfield:s8 small;\toffset:8;\tsize:1;\tsigned:1;
            \tfield:u8 usmall;\toffset:9;\tsize:1;\tsigned:0;
            \tfield:short half;\toffset:10;\tsize:2;\tsigned:1;
            \tfield:int word;\toffset:12;\tsize:4;\tsigned:1;
            \tfield:unsigned int uword;\toffset:16;\tsize:4;\tsigned:0;
            \tfield:long big;\toffset:24;\tsize:8;\tsigned:1;
            \tfield:unsigned long ubig;\toffset:32;\tsize:8;\tsigned:0;
            \tfield:const char * ptr;\toffset:40;\tsize:8;\tsigned:0;
            \tfield:char comm[16];\toffset:48;\tsize:16;\tsigned:0;
            \tfield:__data_loc char[] filename;\toffset:64;\tsize:4;\tsigned:0;
            \tfield:__rel_loc char[] rel;\toffset:68;\tsize:4;\tsigned:0;
            \tfield:u8 addr[sizeof(struct sockaddr_in6)];\toffset:72;\tsize:28;\tsigned:0;
            \tfield:u32 grid[2][3];\toffset:100;\tsize:24;\tsigned:0;
            \tfield:int old_style;\toffset:124;\tsize:4;

            print fmt: "filename=%s", __get_str(filename)
            """;

    @Test
    void parsesTheKernelsSysEnterFutexFormat() {
        TracepointFormat f = TracepointFormat.parse(SYS_ENTER_FUTEX);

        assertThat(f.name()).isEqualTo("sys_enter_futex");
        assertThat(f.id()).isEqualTo(522);
        assertThat(f.printFormat()).startsWith("\"uaddr: 0x%08lx");
        assertThat(f.fields()).containsExactly(
                new Field("common_type", "unsigned short", 0, 2, false, Kind.SCALAR, -1),
                new Field("common_flags", "unsigned char", 2, 1, false, Kind.SCALAR, -1),
                new Field("common_preempt_count", "unsigned char", 3, 1, false, Kind.SCALAR, -1),
                new Field("common_pid", "int", 4, 4, true, Kind.SCALAR, -1),
                new Field("__syscall_nr", "int", 8, 4, true, Kind.SCALAR, -1),
                new Field("uaddr", "u32 *", 16, 8, false, Kind.SCALAR, -1),
                new Field("op", "int", 24, 8, false, Kind.SCALAR, -1),
                new Field("val", "u32", 32, 8, false, Kind.SCALAR, -1),
                new Field("utime", "const struct __kernel_timespec *", 40, 8, false, Kind.SCALAR, -1),
                new Field("uaddr2", "u32 *", 48, 8, false, Kind.SCALAR, -1),
                new Field("val3", "u32", 56, 8, false, Kind.SCALAR, -1));
        assertThat(f.fields()).filteredOn(Field::common).extracting(Field::name)
                .containsExactly("common_type", "common_flags", "common_preempt_count", "common_pid");
        assertThat(f.payloadFields()).extracting(Field::name)
                .containsExactly("__syscall_nr", "uaddr", "op", "val", "utime", "uaddr2", "val3");
        assertThat(f.requireField("uaddr").pointer()).isTrue();
        assertThat(f.requireField("op").pointer()).isFalse();
    }

    @Test
    void parsesEveryKindOfFieldDeclaration() {
        TracepointFormat f = TracepointFormat.parse(SYNTHETIC);

        assertThat(f.name()).isEqualTo("every_kind");
        assertThat(f.id()).isEqualTo(4242);
        assertThat(f.payloadFields()).containsExactly(
                new Field("small", "s8", 8, 1, true, Kind.SCALAR, -1),
                new Field("usmall", "u8", 9, 1, false, Kind.SCALAR, -1),
                new Field("half", "short", 10, 2, true, Kind.SCALAR, -1),
                new Field("word", "int", 12, 4, true, Kind.SCALAR, -1),
                new Field("uword", "unsigned int", 16, 4, false, Kind.SCALAR, -1),
                new Field("big", "long", 24, 8, true, Kind.SCALAR, -1),
                new Field("ubig", "unsigned long", 32, 8, false, Kind.SCALAR, -1),
                new Field("ptr", "const char *", 40, 8, false, Kind.SCALAR, -1),
                new Field("comm", "char[16]", 48, 16, false, Kind.ARRAY, 16),
                new Field("filename", "__data_loc char[]", 64, 4, false, Kind.DATA_LOC, -1),
                new Field("rel", "__rel_loc char[]", 68, 4, false, Kind.REL_LOC, -1),
                new Field("addr", "u8[sizeof(struct sockaddr_in6)]", 72, 28, false, Kind.ARRAY, -1),
                new Field("grid", "u32[2][3]", 100, 24, false, Kind.ARRAY, 6),
                new Field("old_style", "int", 124, 4, false, Kind.SCALAR, -1));
        assertThat(f.payloadFields()).filteredOn(Field::string).extracting(Field::name)
                .containsExactly("comm", "filename", "rel");
        assertThat(f.field("nope")).isEmpty();
        assertThatThrownBy(() -> f.requireField("nope"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tracepoint every_kind has no field 'nope' (fields: common_type, common_flags, "
                        + "common_preempt_count, common_pid, small, usmall, half, word, uword, big, ubig, ptr, comm, "
                        + "filename, rel, addr, grid, old_style)");
    }

    @Test
    void decodesEveryFieldFromARawRecordAtABasePosition() {
        TracepointFormat f = TracepointFormat.parse(SYNTHETIC);
        int base = 12; // e.g. after the perf sample header and the raw size
        ByteBuffer buf = ByteBuffer.allocate(base + 160).order(ByteOrder.LITTLE_ENDIAN);
        buf.putShort(base, (short) 4242);
        buf.put(base + 2, (byte) 0x81);
        buf.putInt(base + 4, 31337);
        buf.put(base + 8, (byte) -5);
        buf.put(base + 9, (byte) 0xfb);
        buf.putShort(base + 10, (short) -300);
        buf.putInt(base + 12, -70000);
        buf.putInt(base + 16, 0xfedcba98);
        buf.putLong(base + 24, -1234567890123L);
        buf.putLong(base + 32, 0xffff_ffff_ffff_fff0L);
        buf.putLong(base + 40, 0xffff_8000_1234_5678L);
        putBytes(buf, base + 48, "loop\0garbage\0\0\0\0");
        // __data_loc: "hello" (6 bytes with NUL) at record offset 128.
        buf.putInt(base + 64, (6 << 16) | 128);
        putBytes(buf, base + 128, "hello\0");
        // __rel_loc: "rel!" at 4 bytes past the end of the locator (68 + 4 + 4 = 76 is inside addr, fine).
        buf.putInt(base + 68, (5 << 16) | 64);
        putBytes(buf, base + 68 + 4 + 64, "rel!\0");
        putBytes(buf, base + 72, "\1\2\3");

        assertThat(f.requireField("common_type").readLong(buf, base)).isEqualTo(4242);
        assertThat(f.requireField("common_flags").readLong(buf, base)).isEqualTo(0x81);
        assertThat(f.requireField("common_pid").readLong(buf, base)).isEqualTo(31337);
        assertThat(f.requireField("small").readLong(buf, base)).isEqualTo(-5);
        assertThat(f.requireField("usmall").readLong(buf, base)).isEqualTo(0xfb);
        assertThat(f.requireField("half").readLong(buf, base)).isEqualTo(-300);
        assertThat(f.requireField("word").readLong(buf, base)).isEqualTo(-70000);
        assertThat(f.requireField("uword").readLong(buf, base)).isEqualTo(0xfedcba98L);
        assertThat(f.requireField("big").readLong(buf, base)).isEqualTo(-1234567890123L);
        assertThat(Long.toUnsignedString(f.requireField("ubig").readLong(buf, base)))
                .isEqualTo("18446744073709551600");
        assertThat(f.requireField("ptr").readLong(buf, base)).isEqualTo(0xffff_8000_1234_5678L);
        assertThat(f.requireField("comm").readString(buf, base)).isEqualTo("loop");
        assertThat(f.requireField("filename").readString(buf, base)).isEqualTo("hello");
        assertThat(f.requireField("filename").readBytes(buf, base))
                .containsExactly('h', 'e', 'l', 'l', 'o', 0);
        assertThat(f.requireField("rel").readString(buf, base)).isEqualTo("rel!");
        assertThat(f.requireField("addr").readBytes(buf, base)).hasSize(28).startsWith(1, 2, 3, 0);
        assertThat(buf.position()).isZero();
    }

    @Test
    void decodesLittleEndianWhateverTheBuffersByteOrder() {
        TracepointFormat f = TracepointFormat.parse(SYNTHETIC);
        ByteBuffer le = ByteBuffer.allocate(160).order(ByteOrder.LITTLE_ENDIAN);
        le.putShort(10, (short) -300);
        le.putInt(16, 0xfedcba98);
        le.putLong(24, -1234567890123L);
        le.putInt(64, (3 << 16) | 128);
        putBytes(le, 128, "ab\0");
        ByteBuffer be = ByteBuffer.wrap(le.array()).order(ByteOrder.BIG_ENDIAN);

        assertThat(f.requireField("half").readLong(be, 0)).isEqualTo(-300);
        assertThat(f.requireField("uword").readLong(be, 0)).isEqualTo(0xfedcba98L);
        assertThat(f.requireField("big").readLong(be, 0)).isEqualTo(-1234567890123L);
        assertThat(f.requireField("filename").readString(be, 0)).isEqualTo("ab");
    }

    @Test
    void decodesAnEmptyDataLocString() {
        TracepointFormat f = TracepointFormat.parse(SYNTHETIC);
        ByteBuffer buf = ByteBuffer.allocate(160).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(64, 128); // length 0

        assertThat(f.requireField("filename").readString(buf, 0)).isEmpty();
    }

    @Test
    void refusesReadsOutsideTheRecordOrOfTheWrongKind() {
        TracepointFormat f = TracepointFormat.parse(SYNTHETIC);
        ByteBuffer buf = ByteBuffer.allocate(140).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(64, (20 << 16) | 130); // 130 + 20 > 140

        assertThatThrownBy(() -> f.requireField("filename").readString(buf, 0))
                .isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessage("field filename: bytes 130..150 lie outside the raw record of 140 bytes");
        assertThatThrownBy(() -> f.requireField("big").readLong(buf, 120))
                .isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessage("field big: bytes 24..32 lie outside the raw record of 20 bytes");
        assertThatThrownBy(() -> f.requireField("comm").readLong(buf, 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("field comm (char[16]) is not an integer");
        assertThatThrownBy(() -> f.requireField("word").readString(buf, 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("field word (int) is not a string");
        assertThatThrownBy(() -> f.requireField("addr").readString(buf, 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("field addr (u8[sizeof(struct sockaddr_in6)]) is not a string");
    }

    @Test
    void rejectsTextThatIsNotAFormatFile() {
        assertThatThrownBy(() -> TracepointFormat.parse("ID: 3\nformat:\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tracepoint format has no 'name:' line");
        assertThatThrownBy(() -> TracepointFormat.parse("name: x\nformat:\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tracepoint format of x has no 'ID:' line");
        assertThatThrownBy(() -> TracepointFormat.parse("name: x\nID: 1\n\tfield:int a;\tsize:4;\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tracepoint format line 3 'field:int a;\tsize:4;': "
                        + "expected field:DECLARATION; offset:N; size:N;");
        assertThatThrownBy(() -> TracepointFormat.parse("name: x\nID: 1\n\tfield:int;\toffset:0;\tsize:4;\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tracepoint format line 3 'field:int;\toffset:0;\tsize:4;': no type in 'int'");
        assertThatThrownBy(() -> TracepointFormat.parse("name: x\nID: seven\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("tracepoint format line 2 'ID: seven': ");
    }

    @Test
    void fieldsAreImmutable() {
        TracepointFormat f = TracepointFormat.parse(SYS_ENTER_FUTEX);

        assertThatThrownBy(() -> f.fields().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThat(new TracepointFormat("x", 1, List.of(), "").fields()).isEmpty();
    }

    private static void putBytes(ByteBuffer buf, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < b.length; i++) {
            buf.put(at + i, b[i]);
        }
    }
}
