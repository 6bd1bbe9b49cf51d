package org.fleettap.agent.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpoolFormatTest {

    private static ByteBuffer segment(byte[]... payloads) {
        int size = SpoolFormat.SEGMENT_HEADER_BYTES;
        for (byte[] p : payloads) {
            size += SpoolFormat.RECORD_HEADER_BYTES + p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(SpoolFormat.segmentHeader());
        for (byte[] p : payloads) {
            b.put(SpoolFormat.record(p));
        }
        return b.flip();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void recordsAreFoundWhereTheyWereWritten() {
        ByteBuffer seg = segment(bytes("one"), bytes(""), bytes("three"));
        SpoolFormat.Scan scan = SpoolFormat.scan(seg);
        assertThat(scan.header()).isEqualTo(SpoolFormat.Header.OK);
        assertThat(scan.frames()).containsExactly(
                new SpoolFormat.Frame(8, 3), new SpoolFormat.Frame(23, 0), new SpoolFormat.Frame(35, 5));
        assertThat(scan.corrupt()).isZero();
        assertThat(scan.truncated()).isZero();
    }

    @Test
    void theRecordLayoutIsLengthPayloadCrcHeaderCrcPayload() {
        ByteBuffer r = SpoolFormat.record(bytes("abc"));
        assertThat(r.getInt(0)).isEqualTo(3);
        assertThat(r.getInt(4)).isEqualTo(SpoolFormat.crc(bytes("abc"), 0, 3));
        byte[] head = new byte[8];
        r.get(0, head);
        assertThat(r.getInt(8)).isEqualTo(SpoolFormat.crc(head, 0, 8));
        assertThat(SpoolFormat.segmentHeader().getInt(0)).isEqualTo(0x46545350);
    }

    @Test
    void afterADamagedHeaderTheScanResumesAtTheNextIntactRecord() {
        ByteBuffer seg = segment(bytes("first"), bytes("second"), bytes("third"));
        int second = 8 + 12 + 5;
        seg.put(second + 1, (byte) 0x7f); // the second record's length
        SpoolFormat.Scan scan = SpoolFormat.scan(seg);
        assertThat(scan.frames()).extracting(SpoolFormat.Frame::length).containsExactly(5, 5);
        assertThat(scan.frames().get(1).offset()).isEqualTo(second + 12 + 6);
        assertThat(scan.corrupt()).isEqualTo(1);
    }

    @Test
    void aRecordThatLooksIntactButRunsPastTheEndIsATruncatedTail() {
        ByteBuffer seg = segment(bytes("first"), bytes("second"));
        ByteBuffer cut = seg.limit(seg.limit() - 1);
        SpoolFormat.Scan scan = SpoolFormat.scan(cut);
        assertThat(scan.frames()).hasSize(1);
        assertThat(scan.truncated()).isEqualTo(1);
        assertThat(scan.corrupt()).isZero();
    }

    @Test
    void headersAreClassified() {
        assertThat(SpoolFormat.header(ByteBuffer.allocate(0))).isEqualTo(SpoolFormat.Header.EMPTY);
        assertThat(SpoolFormat.header(ByteBuffer.allocate(7))).isEqualTo(SpoolFormat.Header.SHORT);
        assertThat(SpoolFormat.header(ByteBuffer.allocate(8))).isEqualTo(SpoolFormat.Header.BAD);
        assertThat(SpoolFormat.header(segment())).isEqualTo(SpoolFormat.Header.OK);
        assertThat(SpoolFormat.scan(segment()).frames()).isEqualTo(List.of());
    }
}
