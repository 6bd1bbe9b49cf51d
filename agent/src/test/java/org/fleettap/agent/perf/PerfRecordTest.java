package org.fleettap.agent.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Decoding of each record type, from bytes laid out as the kernel writes them. */
class PerfRecordTest {
    static final long ID = 7;
    static final long FULL = SampleType.IDENTIFIER | SampleType.IP | SampleType.TID | SampleType.TIME
            | SampleType.ADDR | SampleType.ID | SampleType.STREAM_ID | SampleType.CPU | SampleType.PERIOD
            | SampleType.CALLCHAIN | SampleType.RAW | SampleType.REGS_USER | SampleType.STACK_USER
            | SampleType.WEIGHT | SampleType.DATA_SRC | SampleType.TRANSACTION | SampleType.PHYS_ADDR;
    static final long REGS = X86Reg.mask(X86Reg.SI, X86Reg.DI, X86Reg.SP);
    private static final SampleFormat FULL_FORMAT = SampleFormat.of(FULL, REGS, true);

    private final IdRegistry registry = new IdRegistry();
    private final RecordCounters counters = new RecordCounters();

    PerfRecordTest() {
        registry.register(ID, FULL_FORMAT, 11);
    }

    /** Writes one record, drains it, and runs {@code check} on the view (exactly once). */
    private void decode(int type, int misc, byte[] body, Consumer<PerfRecord> check) {
        RingWriter w = RingWriter.pages(1, true);
        w.append(type, misc, body).publish();
        List<Integer> calls = new ArrayList<>();
        new RingBuffer(w.region, RingWriter.PAGE, registry, counters).drain(r -> {
            calls.add(r.type());
            check.accept(r);
        });
        assertThat(calls).containsExactly(type);
    }

    /** The sample_id trailer of FULL_FORMAT. */
    private static RingWriter.Body trailer(RingWriter.Body b) {
        return b.sampleId(FULL, 100, 101, 5_000, ID, 77, 3);
    }

    @Test
    void sampleWithEveryFieldTheDecoderLaysOut() {
        byte[] raw = "tracepoint!".getBytes(StandardCharsets.US_ASCII); // 11 bytes: 4 + 11 + 1 pad = 16
        byte[] stack = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        byte[] body = RingWriter.body()
                .u64(ID).u64(0x401136L).u32(1234).u32(1235).u64(987_654_321L).u64(0xdead0000L).u64(ID).u64(77)
                .u32(3).u32(0).u64(1).u64(3).u64(0xffffffff81000000L).u64(0x401136L).u64(0x401200L)
                .u32(12).bytes(raw).u8(0)
                .u64(SampleType.REGS_ABI_64).u64(0x51).u64(0xd1).u64(0x7ffc0000L)
                .u64(stack.length).bytes(stack).u64(12)
                .u64(42).u64(0x1234).u64(9).u64(0x9000)
                .toArray();
        decode(RecordType.SAMPLE, RecordType.MISC_USER | RecordType.MISC_EXACT_IP, body, r -> {
            assertThat(r.misc()).isEqualTo(RecordType.MISC_USER | RecordType.MISC_EXACT_IP);
            assertThat(r.cpuMode()).isEqualTo(RecordType.MISC_USER);
            assertThat(r.size()).isEqualTo(8 + body.length);
            assertThat(r.id()).isEqualTo(ID);
            assertThat(r.cookie()).isEqualTo(11);
            assertThat(r.format()).isSameAs(FULL_FORMAT);
            assertThat(r.ip()).isEqualTo(0x401136L);
            assertThat(r.pid()).isEqualTo(1234);
            assertThat(r.tid()).isEqualTo(1235);
            assertThat(r.hasTime()).isTrue();
            assertThat(r.time()).isEqualTo(987_654_321L);
            assertThat(r.addr()).isEqualTo(0xdead0000L);
            assertThat(r.streamId()).isEqualTo(77);
            assertThat(r.cpu()).isEqualTo(3);
            assertThat(r.period()).isEqualTo(1);
            assertThat(r.callchainLength()).isEqualTo(3);
            assertThat(r.callchain(0)).isEqualTo(0xffffffff81000000L);
            assertThat(r.callchain(2)).isEqualTo(0x401200L);
            assertThatThrownBy(() -> r.callchain(3)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(r.rawSize()).isEqualTo(12);
            byte[] got = new byte[11];
            r.buffer().get(r.rawOffset(), got);
            assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo("tracepoint!");
            assertThat(r.userRegsAbi()).isEqualTo(SampleType.REGS_ABI_64);
            assertThat(r.userRegCount()).isEqualTo(3);
            assertThat(r.userReg(X86Reg.SI)).isEqualTo(0x51);
            assertThat(r.userReg(X86Reg.DI)).isEqualTo(0xd1);
            assertThat(r.userReg(X86Reg.SP)).isEqualTo(0x7ffc0000L);
            assertThat(r.userRegAt(1)).isEqualTo(0xd1);
            assertThatThrownBy(() -> r.userReg(X86Reg.AX)).isInstanceOf(IllegalArgumentException.class);
            assertThat(r.userStackSize()).isEqualTo(16);
            assertThat(r.userStackDynSize()).isEqualTo(12);
            assertThat(r.buffer().get(r.userStackOffset())).isEqualTo((byte) 1);
            assertThat(r.buffer().get(r.userStackOffset() + 15)).isEqualTo((byte) 16);
            assertThat(r.weight()).isEqualTo(42);
            assertThat(r.dataSrc()).isEqualTo(0x1234);
            assertThat(r.transaction()).isEqualTo(9);
            assertThat(r.physAddr()).isEqualTo(0x9000);
            assertThat(r.hasSampleId()).isFalse();
        });
        assertThat(counters.samples()).isEqualTo(1);
    }

    @Test
    void sampleInKernelThreadHasNoUserRegsOrStack() {
        byte[] body = RingWriter.body()
                .u64(ID).u64(0xffffffff81000000L).u32(0).u32(0).u64(10).u64(0).u64(ID).u64(0).u32(0).u32(0).u64(1)
                .u64(0).u32(4).u32(0)
                .u64(SampleType.REGS_ABI_NONE)
                .u64(0)
                .u64(0).u64(0).u64(0).u64(0)
                .toArray();
        decode(RecordType.SAMPLE, RecordType.MISC_KERNEL, body, r -> {
            assertThat(r.callchainLength()).isZero();
            assertThat(r.rawSize()).isEqualTo(4);
            assertThat(r.userRegsAbi()).isEqualTo(SampleType.REGS_ABI_NONE);
            assertThat(r.userRegCount()).isZero();
            assertThatThrownBy(() -> r.userReg(X86Reg.DI)).isInstanceOf(IllegalStateException.class);
            assertThat(r.userStackSize()).isZero();
            assertThat(r.userStackDynSize()).isZero();
        });
    }

    @Test
    void lostIsCountedPerIdAndInTotal() {
        decode(RecordType.LOST, 0, trailer(RingWriter.body().u64(ID).u64(25)).toArray(), r -> {
            assertThat(r.eventId()).isEqualTo(ID);
            assertThat(r.lostCount()).isEqualTo(25);
            assertThat(r.hasSampleId()).isTrue();
            assertThat(r.time()).isEqualTo(5_000);
        });
        decode(RecordType.LOST, 0, trailer(RingWriter.body().u64(ID).u64(5)).toArray(), r -> { });
        assertThat(counters.lostRecords()).isEqualTo(2);
        assertThat(counters.lost()).isEqualTo(30);
        assertThat(registry.lost(ID)).isEqualTo(30);
    }

    @Test
    void lostSamples() {
        decode(RecordType.LOST_SAMPLES, 0, trailer(RingWriter.body().u64(4)).toArray(), r -> {
            assertThat(r.lostCount()).isEqualTo(4);
            assertThat(r.id()).isEqualTo(ID);
        });
        assertThat(counters.lostSamples()).isEqualTo(4);
        assertThat(registry.lostSamples(ID)).isEqualTo(4);
    }

    @Test
    void throttleAndUnthrottle() {
        decode(RecordType.THROTTLE, 0, trailer(RingWriter.body().u64(4_999).u64(ID).u64(77)).toArray(), r -> {
            assertThat(r.time()).isEqualTo(5_000); // the sample_id's time when there is one
            assertThat(r.eventId()).isEqualTo(ID);
            assertThat(r.streamId()).isEqualTo(77);
            assertThat(r.cookie()).isEqualTo(11);
        });
        decode(RecordType.UNTHROTTLE, 0, trailer(RingWriter.body().u64(6_000).u64(ID).u64(77)).toArray(), r -> {
            assertThat(r.eventId()).isEqualTo(ID);
            assertThat(r.streamId()).isEqualTo(77);
        });
        assertThat(counters.throttles()).isEqualTo(1);
        assertThat(counters.unthrottles()).isEqualTo(1);
    }

    @Test
    void commWithExecAndSampleId() {
        byte[] body = trailer(RingWriter.body().u32(200).u32(201).cstring("gis_server")).toArray();
        decode(RecordType.COMM, RecordType.MISC_COMM_EXEC, body, r -> {
            assertThat(r.pid()).isEqualTo(200);
            assertThat(r.tid()).isEqualTo(201);
            assertThat(r.comm()).isEqualTo("gis_server");
            assertThat(r.isExec()).isTrue();
            assertThat(r.hasSampleId()).isTrue();
            assertThat(r.sampleIdPid()).isEqualTo(100);
            assertThat(r.sampleIdTid()).isEqualTo(101);
            assertThat(r.sampleIdTime()).isEqualTo(5_000);
            assertThat(r.sampleIdId()).isEqualTo(ID);
            assertThat(r.sampleIdStreamId()).isEqualTo(77);
            assertThat(r.sampleIdCpu()).isEqualTo(3);
            assertThat(r.time()).isEqualTo(5_000);
            assertThat(r.cpu()).isEqualTo(3);
        });
        // A comm of exactly 8 bytes is followed by a full word of NULs.
        decode(RecordType.COMM, 0, trailer(RingWriter.body().u32(1).u32(1).cstring("12345678")).toArray(), r -> {
            assertThat(r.comm()).isEqualTo("12345678");
            assertThat(r.isExec()).isFalse();
        });
    }

    @Test
    void forkAndExit() {
        byte[] fork = trailer(RingWriter.body().u32(300).u32(200).u32(301).u32(201).u64(4_000)).toArray();
        decode(RecordType.FORK, 0, fork, r -> {
            assertThat(r.pid()).isEqualTo(300);
            assertThat(r.ppid()).isEqualTo(200);
            assertThat(r.tid()).isEqualTo(301);
            assertThat(r.ptid()).isEqualTo(201);
            assertThat(r.time()).isEqualTo(5_000);
            assertThat(r.sampleIdTid()).isEqualTo(101);
        });
        byte[] exit = trailer(RingWriter.body().u32(300).u32(200).u32(300).u32(200).u64(4_000)).toArray();
        decode(RecordType.EXIT, 0, exit, r -> {
            assertThat(r.pid()).isEqualTo(300);
            assertThat(r.ppid()).isEqualTo(200);
            assertThat(r.ptid()).isEqualTo(200);
        });
    }

    @Test
    void mmap2WithDeviceAndInode() {
        byte[] body = trailer(RingWriter.body().u32(200).u32(200).u64(0x7f0000001000L).u64(0x2000).u64(0x1000)
                .u32(8).u32(1).u64(123456).u64(2).u32(5).u32(2).cstring("/usr/lib/libc.so.6")).toArray();
        decode(RecordType.MMAP2, RecordType.MISC_USER, body, r -> {
            assertThat(r.pid()).isEqualTo(200);
            assertThat(r.tid()).isEqualTo(200);
            assertThat(r.addr()).isEqualTo(0x7f0000001000L);
            assertThat(r.len()).isEqualTo(0x2000);
            assertThat(r.pgoff()).isEqualTo(0x1000);
            assertThat(r.maj()).isEqualTo(8);
            assertThat(r.min()).isEqualTo(1);
            assertThat(r.ino()).isEqualTo(123456);
            assertThat(r.inoGeneration()).isEqualTo(2);
            assertThat(r.prot()).isEqualTo(5);
            assertThat(r.flags()).isEqualTo(2);
            assertThat(r.hasBuildId()).isFalse();
            assertThat(r.buildId()).isNull();
            assertThat(r.filename()).isEqualTo("/usr/lib/libc.so.6");
            assertThat(r.time()).isEqualTo(5_000);
        });
    }

    @Test
    void mmap2WithBuildId() {
        byte[] buildId = new byte[20];
        for (int i = 0; i < 20; i++) {
            buildId[i] = (byte) (0xa0 + i);
        }
        byte[] body = trailer(RingWriter.body().u32(200).u32(200).u64(0x400000).u64(0x1000).u64(0)
                .u8(20).u8(0).u16(0).bytes(buildId).u32(5).u32(2).cstring("/bin/ls")).toArray();
        decode(RecordType.MMAP2, RecordType.MISC_MMAP_BUILD_ID, body, r -> {
            assertThat(r.hasBuildId()).isTrue();
            assertThat(r.buildId()).isEqualTo(buildId);
            assertThat(r.maj()).isZero();
            assertThat(r.ino()).isZero();
            assertThat(r.prot()).isEqualTo(5);
            assertThat(r.filename()).isEqualTo("/bin/ls");
        });
    }

    @Test
    void mmap() {
        byte[] body = trailer(RingWriter.body().u32(9).u32(9).u64(0x400000).u64(0x1000).u64(0).cstring("/bin/true"))
                .toArray();
        decode(RecordType.MMAP, 0, body, r -> {
            assertThat(r.addr()).isEqualTo(0x400000);
            assertThat(r.filename()).isEqualTo("/bin/true");
            assertThat(r.comm()).isNull();
        });
    }

    @Test
    void recordsWithoutSampleIdAllHaveBodyTimesOnly() {
        IdRegistry plain = new IdRegistry();
        plain.register(9, SampleFormat.of(SampleType.IDENTIFIER | SampleType.TIME | SampleType.TID, 0, false), 1);
        RingWriter w = RingWriter.pages(1, false);
        w.append(RecordType.FORK, 0, RingWriter.body().u32(3).u32(2).u32(3).u32(2).u64(777).toArray());
        w.append(RecordType.COMM, 0, RingWriter.body().u32(3).u32(3).cstring("a").toArray());
        w.append(RecordType.LOST, 0, RingWriter.body().u64(9).u64(9).toArray());
        w.publish();
        List<String> seen = new ArrayList<>();
        new RingBuffer(w.region, RingWriter.PAGE, plain, counters).drain(r -> seen.add(
                RecordType.name(r.type()) + " time=" + r.time() + " sid=" + r.hasSampleId() + " id=" + r.id()
                        + " cookie=" + r.cookie()));
        assertThat(seen).containsExactly(
                "FORK time=777 sid=false id=-1 cookie=-1",
                "COMM time=-1 sid=false id=-1 cookie=-1",
                "LOST time=-1 sid=false id=9 cookie=1");
        assertThat(plain.lost(9)).isEqualTo(9);
        assertThat(counters.unknownIds()).isZero();
    }

    @Test
    void unknownTypesAreSkippedAndCounted() {
        RingWriter w = RingWriter.pages(1, false);
        w.append(RecordType.SWITCH, 0, trailer(RingWriter.body()).toArray());
        w.append(99, 0, RingWriter.body().u64(1).u64(2).toArray());
        w.append(RecordType.LOST_SAMPLES, 0, trailer(RingWriter.body().u64(1)).toArray());
        w.publish();
        List<Integer> types = new ArrayList<>();
        int n = new RingBuffer(w.region, RingWriter.PAGE, registry, counters).drain(r -> types.add(r.type()));
        assertThat(n).isEqualTo(1);
        assertThat(types).containsExactly(RecordType.LOST_SAMPLES);
        assertThat(counters.unknownTypes()).isEqualTo(2);
        assertThat(w.tail()).isEqualTo(w.head());
    }

    @Test
    void samplesOfUnknownIdsAreSkippedOtherRecordsDeliveredWithoutSampleId() {
        RingWriter w = RingWriter.pages(1, false);
        w.append(RecordType.SAMPLE, 0, RingWriter.uprobeSample(999, 1, 1, 1, 0, 1, 2, 3));
        w.append(RecordType.COMM, 0, RingWriter.body().u32(5).u32(5).cstring("x")
                .sampleId(FULL, 5, 5, 1, 999, 0, 0).toArray());
        w.publish();
        List<String> seen = new ArrayList<>();
        new RingBuffer(w.region, RingWriter.PAGE, registry, counters)
                .drain(r -> seen.add(RecordType.name(r.type()) + " " + r.pid() + " " + r.hasSampleId()));
        assertThat(seen).containsExactly("COMM 5 false");
        assertThat(counters.unknownIds()).isEqualTo(2);
    }

    @Test
    void malformedSamplesAreSkippedAndCounted() {
        RingWriter w = RingWriter.pages(1, false);
        // Callchain claims 1000 entries in a 64-byte record.
        w.append(RecordType.SAMPLE, 0, RingWriter.body()
                .u64(ID).u64(1).u32(1).u32(1).u64(1).u64(0).u64(ID).u64(0).u32(0).u32(0).u64(1).u64(1000).toArray());
        // Shorter than the fixed fields.
        w.append(RecordType.SAMPLE, 0, RingWriter.body().u64(ID).u64(1).toArray());
        w.append(RecordType.LOST_SAMPLES, 0, trailer(RingWriter.body().u64(1)).toArray());
        w.publish();
        int n = new RingBuffer(w.region, RingWriter.PAGE, registry, counters).drain(r -> { });
        assertThat(n).isEqualTo(1);
        assertThat(counters.malformed()).isEqualTo(2);
        assertThat(counters.corruptions()).isZero();
    }

    /**
     * A task the opener's PID namespace cannot see is reported as pid and tid 0 (perf_event_pid): in samples and in
     * the side-band records that name processes; records of no task (LOST) are never a task's.
     */
    @Test
    void recordsOfTasksOutsideTheOpenersNamespaceAreThoseWithPidAndTidZero() {
        byte[] invisible = RingWriter.body().u64(ID).u64(0x401136L).u32(0).u32(0).u64(10).u64(0).u64(ID).u64(0)
                .u32(1).u32(0).u64(1).u64(0).u32(4).u32(0).u64(SampleType.REGS_ABI_NONE).u64(0)
                .u64(0).u64(0).u64(0).u64(0).toArray();
        decode(RecordType.SAMPLE, RecordType.MISC_USER, invisible, r -> assertThat(r.isOfInvisibleTask()).isTrue());
        byte[] visible = RingWriter.body().u64(ID).u64(0x401136L).u32(7).u32(8).u64(10).u64(0).u64(ID).u64(0)
                .u32(1).u32(0).u64(1).u64(0).u32(4).u32(0).u64(SampleType.REGS_ABI_NONE).u64(0)
                .u64(0).u64(0).u64(0).u64(0).toArray();
        decode(RecordType.SAMPLE, RecordType.MISC_USER, visible, r -> assertThat(r.isOfInvisibleTask()).isFalse());
        decode(RecordType.COMM, RecordType.MISC_COMM_EXEC,
                trailer(RingWriter.body().u32(0).u32(0).cstring("loop")).toArray(),
                r -> assertThat(r.isOfInvisibleTask()).isTrue());
        decode(RecordType.COMM, 0, trailer(RingWriter.body().u32(0).u32(9).cstring("loop")).toArray(),
                r -> assertThat(r.isOfInvisibleTask()).isFalse());
        decode(RecordType.FORK, 0, trailer(RingWriter.body().u32(0).u32(0).u32(0).u32(0).u64(4_000)).toArray(),
                r -> assertThat(r.isOfInvisibleTask()).isTrue());
        decode(RecordType.LOST, 0, RingWriter.body().u64(ID).u64(1).sampleId(FULL, 0, 0, 10, ID, 0, 0).toArray(),
                r -> assertThat(r.isOfInvisibleTask()).isFalse());
    }

    @Test
    void toStringNamesTheRecord() {
        decode(RecordType.COMM, RecordType.MISC_COMM_EXEC,
                trailer(RingWriter.body().u32(200).u32(201).cstring("ls")).toArray(),
                r -> assertThat(r.toString()).isEqualTo(
                        "COMM[size=72, misc=0x2000, id=7, time=5000, cpu=3, pid=200, tid=201, comm=ls, exec]"));
    }
}
