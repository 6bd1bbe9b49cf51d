package org.fleettap.agent.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fleettap.agent.transport.TransportTesting.batch;
import static org.fleettap.agent.transport.TransportTesting.drain;
import static org.fleettap.agent.transport.TransportTesting.next;
import static org.fleettap.agent.transport.TransportTesting.segmentFiles;
import static org.fleettap.agent.transport.TransportTesting.sequences;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.fleettap.proto.v1.Batch;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SpoolTest {
    private static final String S1 = "s1";
    private static final String S2 = "s2";
    /** Every test batch of seq < 128 has this size on disk: record header plus payload. */
    private static final int RECORD = SpoolFormat.RECORD_HEADER_BYTES + batch(S1, 1).getSerializedSize();
    /** A segment holding one unsealed record. */
    private static final int ONE_RECORD_SEGMENT = SpoolFormat.SEGMENT_HEADER_BYTES + RECORD;

    @TempDir
    Path dir;

    private Spool open(long maxBytes, long segmentBytes) throws IOException {
        return Spool.open(new SpoolConfig(dir, maxBytes, segmentBytes));
    }

    /** A spool whose segments each hold exactly one batch, bounded to {@code segments} sealed segments. */
    private Spool openOneBatchPerSegment(int segments) throws IOException {
        // Sealed batches (carrying a drop count below 128) are 2 bytes longer.
        return open((long) segments * (ONE_RECORD_SEGMENT + 2), ONE_RECORD_SEGMENT);
    }

    private static void appendAll(Spool spool, String session, long from, long to) throws IOException {
        for (long seq = from; seq <= to; seq++) {
            spool.append(batch(session, seq));
        }
    }

    @Test
    void givesBatchesBackInOrderAndDeletesSegmentsOnceAcknowledged() throws IOException {
        try (Spool spool = open(1 << 20, 3L * RECORD + SpoolFormat.SEGMENT_HEADER_BYTES)) {
            appendAll(spool, S1, 1, 10);
            assertThat(segmentFiles(dir)).hasSize(4); // 3 + 3 + 3 + 1
            List<Batch> out = drain(spool);
            assertThat(out).containsExactlyElementsOf(LongStream.rangeClosed(1, 10).mapToObj(s -> batch(S1, s)).toList());
            assertThat(spool.inFlight()).isEqualTo(10);

            for (long seq = 1; seq <= 4; seq++) {
                assertThat(spool.ack(new BatchKey(TransportTesting.HOST, S1, seq))).isTrue();
            }
            assertThat(segmentFiles(dir)).hasSize(3);
            assertThat(spool.ack(new BatchKey(TransportTesting.HOST, S1, 4))).as("acknowledged twice").isFalse();
            for (long seq = 5; seq <= 10; seq++) {
                spool.ack(new BatchKey(TransportTesting.HOST, S1, seq));
            }
            assertThat(segmentFiles(dir)).isEmpty();
            assertThat(spool.stats()).isEqualTo(new SpoolStats(0, 0, 0, 0, 0, 0, 0));
        }
    }

    @Test
    void rewindGivesUnacknowledgedBatchesAgainInOrder() throws IOException {
        try (Spool spool = open(1 << 20, 1 << 16)) {
            appendAll(spool, S1, 1, 5);
            assertThat(sequences(List.of(next(spool), next(spool), next(spool)))).containsExactly(1L, 2L, 3L);
            spool.ack(new BatchKey(TransportTesting.HOST, S1, 2));
            spool.rewind();
            assertThat(spool.inFlight()).isZero();
            assertThat(sequences(drain(spool))).containsExactly(1L, 3L, 4L, 5L);
        }
    }

    @Test
    void reopenedSpoolReplaysWhatWasNotAcknowledgedInOrder() throws IOException {
        try (Spool spool = openOneBatchPerSegment(100)) {
            appendAll(spool, S1, 1, 10);
            drain(spool);
            for (long seq = 1; seq <= 4; seq++) {
                spool.ack(new BatchKey(TransportTesting.HOST, S1, seq));
            }
        }
        try (Spool spool = openOneBatchPerSegment(100)) {
            assertThat(spool.stats().batches()).isEqualTo(6);
            assertThat(sequences(drain(spool))).containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
            appendAll(spool, S1, 11, 11);
            assertThat(sequences(drain(spool))).containsExactly(11L);
        }
    }

    @Test
    void acknowledgementsInsideAPartlyAcknowledgedSegmentAreNotKeptAcrossARestart() throws IOException {
        try (Spool spool = open(1 << 20, 1 << 16)) {
            appendAll(spool, S1, 1, 5);
            drain(spool);
            spool.ack(new BatchKey(TransportTesting.HOST, S1, 1));
            spool.ack(new BatchKey(TransportTesting.HOST, S1, 2));
        }
        try (Spool spool = open(1 << 20, 1 << 16)) {
            // At least once: the collector answers DUPLICATE to 1 and 2.
            assertThat(sequences(drain(spool))).containsExactly(1L, 2L, 3L, 4L, 5L);
        }
    }

    @Test
    void fullSpoolDropsTheOldestBatchesAndTheNextBatchesCarryTheExactCount() throws IOException {
        try (Spool spool = openOneBatchPerSegment(5)) {
            appendAll(spool, S1, 1, 100);
            SpoolStats stats = spool.stats();
            assertThat(stats.droppedBatches()).isEqualTo(95);
            assertThat(stats.batches()).isEqualTo(5);
            assertThat(stats.bytes()).isLessThanOrEqualTo(spool.config().maxBytes());
            assertThat(stats.unreportedDrops()).isZero();
            List<Batch> left = drain(spool);
            assertThat(sequences(left)).containsExactly(96L, 97L, 98L, 99L, 100L);
            assertThat(left.stream().mapToLong(Batch::getSpoolDroppedBatches).sum()).isEqualTo(95);
            assertThat(left.get(0).toBuilder().clearSpoolDroppedBatches().build()).isEqualTo(batch(S1, 96));
        }
    }

    @Test
    void dropCountsArePerSessionAndExactWhenSessionsInterleave() throws IOException {
        List<Batch> submitted = TransportTesting.interleaved(30, S1, S2);
        try (Spool spool = openOneBatchPerSegment(7)) {
            for (Batch b : submitted) {
                spool.append(b);
            }
            List<Batch> left = drain(spool);
            Map<SessionKey, Long> unreported = spool.unreportedDrops();
            assertThat(spool.stats().droppedBatches()).isEqualTo(submitted.size() - left.size());
            for (String session : List.of(S1, S2)) {
                List<Long> kept = sequences(left.stream().filter(b -> b.getSessionId().equals(session)).toList());
                long carried = left.stream().filter(b -> b.getSessionId().equals(session))
                        .mapToLong(Batch::getSpoolDroppedBatches).sum();
                long missing = 30 - kept.size();
                assertThat(carried + unreported.getOrDefault(new SessionKey(TransportTesting.HOST, session), 0L))
                        .as("drops of %s", session)
                        .isEqualTo(missing);
                // The oldest were dropped: what is left is the tail of the session.
                assertThat(kept).containsExactlyElementsOf(LongStream.rangeClosed(missing + 1, 30).boxed().toList());
            }
        }
    }

    @Test
    void unreportedDropsSurviveARestartAndRideOnTheSessionsNextBatch() throws IOException {
        try (Spool spool = openOneBatchPerSegment(3)) {
            appendAll(spool, S2, 1, 2);
            appendAll(spool, S1, 1, 3); // drops s2#1 and s2#2
            assertThat(spool.unreportedDrops()).containsExactly(Map.entry(new SessionKey(TransportTesting.HOST, S2), 2L));
        }
        assertThat(dir.resolve(DropLedger.FILE_NAME)).exists();
        try (Spool spool = openOneBatchPerSegment(3)) {
            assertThat(spool.stats().unreportedDrops()).isEqualTo(2);
            drain(spool).forEach(b -> spool.ack(BatchKey.of(b)));
            Batch sealed = spool.append(batch(S2, 3));
            assertThat(sealed.getSpoolDroppedBatches()).isEqualTo(2);
            assertThat(spool.stats().unreportedDrops()).isZero();
            assertThat(drain(spool)).containsExactly(sealed);
        }
        assertThat(dir.resolve(DropLedger.FILE_NAME)).doesNotExist();
    }

    @Test
    void segmentsWithBatchesInFlightAreNotDropped() throws IOException {
        try (Spool spool = openOneBatchPerSegment(3)) {
            appendAll(spool, S1, 1, 3);
            assertThat(next(spool).getSequence()).isEqualTo(1);
            spool.append(batch(S1, 4)); // #1 is in flight: #2 goes
            assertThat(spool.stats().droppedBatches()).isEqualTo(1);
            spool.rewind();
            List<Batch> left = drain(spool);
            assertThat(sequences(left)).containsExactly(1L, 3L, 4L);
            assertThat(left.get(2).getSpoolDroppedBatches()).isEqualTo(1);
        }
    }

    @Test
    void aBatchLargerThanTheWholeBoundIsDroppedAndCounted() throws IOException {
        try (Spool spool = open(ONE_RECORD_SEGMENT + 2, ONE_RECORD_SEGMENT + 2)) {
            Batch big = batch(S1, 1).toBuilder().addOutput(batch(S1, 1).getOutput(0)).build();
            assertThat(spool.append(big)).isNull();
            assertThat(spool.stats().droppedBatches()).isEqualTo(1);
            assertThat(spool.append(batch(S1, 2)).getSpoolDroppedBatches()).isEqualTo(1);
            assertThat(sequences(drain(spool))).containsExactly(2L);
        }
    }

    @Test
    void aSecondSpoolOnTheSameDirectoryIsRefused() throws IOException {
        try (Spool spool = open(1 << 20, 1 << 16)) {
            assertThat(spool.directory()).isEqualTo(dir);
            assertThatThrownBy(() -> open(1 << 20, 1 << 16))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(dir.toString())
                    .hasMessageContaining("in use");
        }
        open(1 << 20, 1 << 16).close();
    }

    @Test
    void closeIsIdempotentAndLaterUseFailsClearly() throws IOException {
        Spool spool = open(1 << 20, 1 << 16);
        spool.close();
        spool.close();
        assertThatThrownBy(() -> spool.append(batch(S1, 1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void aRecordDamagedOnDiskAfterItWasWrittenIsDroppedWhenReadAndReported() throws IOException {
        try (Spool spool = open(1 << 20, 1 << 16)) {
            appendAll(spool, S1, 1, 3);
            Path seg = dir.resolve(segmentFiles(dir).get(0));
            flipByte(seg, SpoolFormat.SEGMENT_HEADER_BYTES + RECORD + SpoolFormat.RECORD_HEADER_BYTES + 5);
            assertThat(sequences(drain(spool))).containsExactly(1L, 3L);
            SpoolStats stats = spool.stats();
            assertThat(stats.corruptRecords()).isEqualTo(1);
            assertThat(stats.droppedBatches()).isEqualTo(1);
            assertThat(spool.append(batch(S1, 4)).getSpoolDroppedBatches()).isEqualTo(1);
        }
    }

    @Test
    void aBatchDamagedAtRestIsCountedAsADropOfItsSessionAndReportedWithTheSessionsNextBatch() throws IOException {
        try (Spool spool = open(1 << 20, 1 << 16)) {
            appendAll(spool, S1, 1, 5);
        }
        Path seg = dir.resolve(segmentFiles(dir).get(0));
        // The third record's last payload byte: inside its aggregates, after its host and session.
        flipByte(seg, SpoolFormat.SEGMENT_HEADER_BYTES + 3L * RECORD - 1);
        try (Spool spool = open(1 << 20, 1 << 16)) {
            assertThat(sequences(drain(spool))).containsExactly(1L, 2L, 4L, 5L);
            SpoolStats stats = spool.stats();
            assertThat(stats.corruptRecords()).isEqualTo(1);
            assertThat(stats.droppedBatches()).isEqualTo(1);
            assertThat(spool.unreportedDrops()).containsExactly(Map.entry(new SessionKey(TransportTesting.HOST, S1), 1L));
            assertThat(spool.append(batch(S1, 6)).getSpoolDroppedBatches()).isEqualTo(1);
            assertThat(spool.stats().unreportedDrops()).isZero();
        }
    }

    @Test
    void aBatchWhoseSessionIdIsDamagedAtRestIsCountedButChargedToNoSession() throws IOException {
        try (Spool spool = open(1 << 20, 1 << 16)) {
            appendAll(spool, S1, 1, 5);
        }
        Path seg = dir.resolve(segmentFiles(dir).get(0));
        // The third record's payload starts with host_id (tag, length, bytes), then session_id's tag, length, "s1".
        int sessionByte = SpoolFormat.RECORD_HEADER_BYTES + 2 + TransportTesting.HOST.length() + 2;
        flipByte(seg, SpoolFormat.SEGMENT_HEADER_BYTES + 2L * RECORD + sessionByte);
        try (Spool spool = open(1 << 20, 1 << 16)) {
            assertThat(sequences(drain(spool))).containsExactly(1L, 2L, 4L, 5L);
            SpoolStats stats = spool.stats();
            assertThat(stats.corruptRecords()).isEqualTo(1);
            assertThat(stats.droppedBatches()).isZero();
            assertThat(stats.unreportedDrops()).isZero();
        }
    }

    // ---- damaged segment files found at open

    /** How a segment of five records is damaged, and what opening the spool must find. */
    record Damage(Mutation mutation, List<Long> replayed, long corrupt, long truncated, long unreadable) {}

    @FunctionalInterface
    interface Mutation {
        void apply(Path segment, LongFunction<Integer> recordOffset) throws IOException;
    }

    static Stream<Arguments> damagedSegments() {
        List<Long> all = List.of(1L, 2L, 3L, 4L, 5L);
        List<Long> withoutThird = List.of(1L, 2L, 4L, 5L);
        List<Long> firstFour = List.of(1L, 2L, 3L, 4L);
        return Stream.of(
                damage("cut inside the last record's payload (crash mid-write)",
                        (seg, off) -> truncate(seg, Files.size(seg) - 3), firstFour, 0, 1, 0),
                damage("cut inside the last record's header",
                        (seg, off) -> truncate(seg, off.apply(5) + 5), firstFour, 0, 1, 0),
                damage("zero bytes after the last record",
                        (seg, off) -> appendBytes(seg, new byte[100]), all, 0, 1, 0),
                damage("a flipped byte in a payload",
                        (seg, off) -> flipByte(seg, off.apply(3) + SpoolFormat.RECORD_HEADER_BYTES + 7),
                        withoutThird, 1, 0, 0),
                damage("a flipped byte in a record's length",
                        (seg, off) -> flipByte(seg, off.apply(3) + 2), withoutThird, 1, 0, 0),
                damage("a flipped byte in a record's header checksum",
                        (seg, off) -> flipByte(seg, off.apply(3) + 9), withoutThird, 1, 0, 0),
                damage("garbage after the last record",
                        (seg, off) -> appendBytes(seg, "not a spool record at all".getBytes()), all, 1, 0, 0),
                damage("a bad segment header", (seg, off) -> flipByte(seg, 1), List.of(), 0, 0, 1),
                damage("an empty file (crash right after creating it)", (seg, off) -> truncate(seg, 0), List.of(), 0, 0,
                        0),
                damage("a file shorter than the segment header", (seg, off) -> truncate(seg, 5), List.of(), 0, 1, 0));
    }

    private static Arguments damage(String name, Mutation m, List<Long> replayed, long corrupt, long truncated,
            long unreadable) {
        return Arguments.of(Named.of(name, new Damage(m, replayed, corrupt, truncated, unreadable)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("damagedSegments")
    void damagedSegmentsAreDetectedCountedAndSkipped(Damage damage) throws IOException {
        try (Spool spool = open(1 << 20, 1 << 16)) {
            appendAll(spool, S1, 1, 5);
        }
        List<String> files = segmentFiles(dir);
        assertThat(files).hasSize(1);
        Path seg = dir.resolve(files.get(0));
        damage.mutation().apply(seg, seq -> SpoolFormat.SEGMENT_HEADER_BYTES + (int) (seq - 1) * RECORD);

        try (Spool spool = open(1 << 20, 1 << 16)) {
            SpoolStats stats = spool.stats();
            assertThat(sequences(drain(spool))).containsExactlyElementsOf(damage.replayed());
            assertThat(stats.corruptRecords()).as("corrupt").isEqualTo(damage.corrupt());
            assertThat(stats.truncatedRecords()).as("truncated").isEqualTo(damage.truncated());
            assertThat(stats.unreadableSegments()).as("unreadable").isEqualTo(damage.unreadable());
            assertThat(seg).as("a segment without an intact batch is deleted")
                    .matches(p -> Files.exists(p) == !damage.replayed().isEmpty());
            // The spool goes on: new batches are written to a new segment and replayed after the old ones.
            spool.append(batch(S1, 6));
            assertThat(sequences(drain(spool))).containsExactly(6L);
        }
    }

    @Test
    void aDamagedSegmentDoesNotAffectTheSegmentsAfterIt() throws IOException {
        try (Spool spool = open(1 << 20, 2L * RECORD + SpoolFormat.SEGMENT_HEADER_BYTES)) {
            appendAll(spool, S1, 1, 6);
        }
        List<String> files = segmentFiles(dir);
        assertThat(files).hasSize(3);
        flipByte(dir.resolve(files.get(0)), 3);
        flipByte(dir.resolve(files.get(1)), SpoolFormat.SEGMENT_HEADER_BYTES + RECORD - 1);
        try (Spool spool = open(1 << 20, 2L * RECORD + SpoolFormat.SEGMENT_HEADER_BYTES)) {
            assertThat(sequences(drain(spool))).containsExactly(4L, 5L, 6L);
            SpoolStats stats = spool.stats();
            assertThat(stats.unreadableSegments()).isEqualTo(1);
            assertThat(stats.corruptRecords()).isEqualTo(1);
            assertThat(stats.truncatedRecords()).isZero();
        }
    }

    @Test
    void filesThatAreNotSegmentsAreLeftAlone() throws IOException {
        Files.writeString(dir.resolve("README"), "not ours");
        Files.writeString(dir.resolve("123.seg"), "not a 20-digit name");
        try (Spool spool = open(1 << 20, 1 << 16)) {
            assertThat(spool.stats()).isEqualTo(new SpoolStats(0, 0, 0, 0, 0, 0, 0));
        }
        assertThat(dir.resolve("README")).exists();
        assertThat(dir.resolve("123.seg")).exists();
    }

    @Test
    void manyBatchesOfManySessionsRoundTripExactly() throws IOException {
        List<Batch> submitted = new ArrayList<>();
        Map<String, Long> next = new HashMap<>();
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 2000; i++) {
            String session = "s" + random.nextInt(7);
            long seq = next.merge(session, 1L, Long::sum);
            submitted.add(batch(session, seq));
        }
        try (Spool spool = open(64 << 20, 16 << 10)) {
            for (Batch b : submitted) {
                spool.append(b);
            }
        }
        try (Spool spool = open(64 << 20, 16 << 10)) {
            assertThat(drain(spool)).containsExactlyElementsOf(submitted);
        }
    }

    // ---- file mutations

    static void flipByte(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x40);
        }
    }

    static void truncate(Path file, long size) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        }
    }

    static void appendBytes(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes, java.nio.file.StandardOpenOption.APPEND);
    }
}
