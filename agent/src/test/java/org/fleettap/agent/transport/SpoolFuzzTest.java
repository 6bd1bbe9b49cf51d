package org.fleettap.agent.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.agent.transport.TransportTesting.batch;
import static org.fleettap.agent.transport.TransportTesting.drain;
import static org.fleettap.agent.transport.TransportTesting.sequences;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.fleettap.agent.testing.Mutation;
import org.fleettap.proto.v1.Batch;

/**
 * Fuzzes the spool's record reader ({@link SpoolFormat#scan}) and its recovery at open ({@link Spool#open}) with
 * edited segment files and random bytes: the scanner finds intact records only, in order, inside the file; a
 * flipped byte costs at most the record it is in; and a spool opened on a damaged segment (or on garbage named like
 * one) opens, replays a subsequence of what was written, in order, and counts what it skipped.
 */
class SpoolFuzzTest {
    private static final int RECORDS = 8;

    /** A segment of {@code RECORDS} batches of session s1, numbered from 1, as the spool writes it. */
    private static byte[] segment() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SpoolFormat.segmentHeader().array());
        for (long seq = 1; seq <= RECORDS; seq++) {
            ByteBuffer r = SpoolFormat.record(batch("s1", seq).toByteArray());
            out.write(r.array(), 0, r.limit());
        }
        return out.toByteArray();
    }

    private static final byte[] SEGMENT = segment();
    private static final List<byte[]> WRITTEN = java.util.stream.LongStream.rangeClosed(1, RECORDS)
            .mapToObj(seq -> batch("s1", seq).toByteArray()).toList();
    private static final int RECORD = (SEGMENT.length - SpoolFormat.SEGMENT_HEADER_BYTES) / RECORDS;

    @Property
    void scanOfAnEditedSegmentFindsOnlyIntactRecordsInOrder(
            @ForAll(supplier = Mutation.Edits.class) List<Mutation> edits) {
        byte[] bytes = Mutation.applyAll(SEGMENT, edits);
        SpoolFormat.Scan scan = scanned(bytes);
        for (SpoolFormat.Frame f : scan.frames()) {
            // An intact record is one that was written (a duplicated span may hold one twice).
            byte[] payload = java.util.Arrays.copyOfRange(bytes, f.payloadOffset(), f.end());
            assertThat(WRITTEN).anyMatch(w -> java.util.Arrays.equals(w, payload));
        }
    }

    /** Flipped bytes shift nothing: every record none of them is in is found where it was written. */
    @Property
    void flippedBytesCostOnlyTheRecordsTheyAreIn(@ForAll @Size(min = 1, max = 4) List<@IntRange(min = 0) Integer> at,
            @ForAll @IntRange(min = 1, max = 255) int mask) {
        byte[] bytes = SEGMENT.clone();
        List<Integer> hit = new ArrayList<>();
        for (int a : at) {
            int p = SpoolFormat.SEGMENT_HEADER_BYTES + a % (bytes.length - SpoolFormat.SEGMENT_HEADER_BYTES);
            bytes[p] ^= (byte) mask;
            hit.add((p - SpoolFormat.SEGMENT_HEADER_BYTES) / RECORD);
        }
        SpoolFormat.Scan scan = scanned(bytes);
        List<Integer> found = scan.frames().stream()
                .map(f -> (f.offset() - SpoolFormat.SEGMENT_HEADER_BYTES) / RECORD).toList();
        for (int r = 0; r < RECORDS; r++) {
            if (!hit.contains(r)) {
                assertThat(found).as("record %d (flips in records %s)", r, hit).contains(r);
            }
        }
        assertThat(scan.frames().size() + scan.corrupt()).isGreaterThanOrEqualTo(RECORDS - hit.size());
    }

    @Property
    void scanOfRandomBytesWithAndWithoutASegmentHeader(@ForAll @Size(max = 400) byte[] random,
            @ForAll boolean withHeader) {
        byte[] bytes = random;
        if (withHeader) {
            bytes = new byte[SpoolFormat.SEGMENT_HEADER_BYTES + random.length];
            System.arraycopy(SpoolFormat.segmentHeader().array(), 0, bytes, 0, SpoolFormat.SEGMENT_HEADER_BYTES);
            System.arraycopy(random, 0, bytes, SpoolFormat.SEGMENT_HEADER_BYTES, random.length);
        }
        scanned(bytes);
    }

    /** A spool opened on an edited segment replays a subsequence of 1..RECORDS, in order, and stays usable. */
    @Property
    void aSpoolOpensOnAnEditedSegment(@ForAll(supplier = Mutation.Edits.class) List<Mutation> edits)
            throws IOException {
        byte[] bytes = Mutation.applyAll(SEGMENT, edits);
        Path dir = Files.createTempDirectory("spool-fuzz");
        try {
            Files.write(dir.resolve(String.format("%020d%s", 1, Spool.SEGMENT_SUFFIX)), bytes);
            Files.write(dir.resolve(String.format("%020d%s", 2, Spool.SEGMENT_SUFFIX)), edits.toString().getBytes());
            try (Spool spool = Spool.open(SpoolConfig.of(dir))) {
                List<Long> replayed = sequences(drain(spool));
                assertThat(replayed).isSortedAccordingTo(Comparator.naturalOrder()).doesNotHaveDuplicates()
                        .allMatch(s -> s >= 1 && s <= RECORDS);
                SpoolStats stats = spool.stats();
                assertThat(stats.unreadableSegments()).as("the garbage file").isGreaterThanOrEqualTo(1);
                if (replayed.size() < RECORDS) {
                    assertThat(stats.corruptRecords() + stats.truncatedRecords() + stats.unreadableSegments())
                            .as("skipped records are counted").isPositive();
                }
                assertThat(stats.droppedBatches()).isLessThanOrEqualTo(RECORDS - replayed.size());
                Batch next = spool.append(batch("s1", RECORDS + 1));
                assertThat(next.getSpoolDroppedBatches()).isEqualTo(stats.unreportedDrops());
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Scans {@code bytes} and checks what every scan must hold. */
    private static SpoolFormat.Scan scanned(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        SpoolFormat.Scan scan = SpoolFormat.scan(buf);
        int end = SpoolFormat.SEGMENT_HEADER_BYTES;
        for (SpoolFormat.Frame f : scan.frames()) {
            assertThat(f.offset()).as("records in order, not overlapping").isGreaterThanOrEqualTo(end);
            assertThat(f.end()).isLessThanOrEqualTo(bytes.length);
            assertThat(SpoolFormat.intact(buf, f)).isTrue();
            end = f.end();
        }
        for (SpoolFormat.Frame f : scan.damaged()) {
            assertThat(f.end()).isLessThanOrEqualTo(bytes.length);
            assertThat(SpoolFormat.intact(buf, f)).isFalse();
        }
        assertThat(scan.damaged().size()).isLessThanOrEqualTo(scan.corrupt());
        if (scan.header() != SpoolFormat.Header.OK) {
            assertThat(scan.frames()).isEmpty();
        }
        return scan;
    }
}
