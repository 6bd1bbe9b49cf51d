package org.fleettap.collector.store;

import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Deletes what is older than its retention: windows of each resolution by their start, output
 * lines by their time. One range deletion per series (1 s windows), per statistic and resolution
 * (rollup windows) and per session (output) with expired data; finding them costs one seek each. Range tombstones are
 * dropped by RocksDB's compactions.
 */
final class Retention {
    /** Range deletions written per WriteBatch. */
    private static final int RANGES_PER_WRITE = 10_000;

    private Retention() {}

    /** @return the number of ranges deleted */
    static int compact(RocksDB db, ColumnFamilyHandle aggregates, ColumnFamilyHandle rollups,
            ColumnFamilyHandle output, StoreOptions options, long now, WriteOptions writeOptions)
            throws RocksDBException {
        int ranges = 0;
        try (Writer w = new Writer(db, writeOptions)) {
            // Rollup windows: one range per statistic and resolution (they sort by time first).
            ranges += compactWindows(db, rollups, w, options, now, k -> {
                int statistic = RollupKeys.statisticLength(k);
                RollupKeys.Parsed p = RollupKeys.parse(k, statistic);
                return new Windows(java.util.Arrays.copyOf(k, statistic + 1), p.resolution(), p.start());
            });
            // 1 s windows: one range per series.
            ranges += compactWindows(db, aggregates, w, options, now, k -> {
                AggregateKeys.Parsed p = AggregateKeys.parse(k);
                return new Windows(java.util.Arrays.copyOf(k, p.seriesEnd() + 1), p.resolution(), p.start());
            });
            long outputCutoff = cutoff(now, options.outputRetention().toNanos());
            try (RocksIterator it = db.newIterator(output)) {
                it.seekToFirst();
                while (it.isValid()) {
                    byte[] k = it.key();
                    OrderedKey.Reader r = new OrderedKey.Reader(k);
                    r.skipString();
                    byte[] session = java.util.Arrays.copyOf(k, r.position());
                    if (r.getLong() < outputCutoff) {
                        w.deleteRange(output, OutputKeys.sessionFrom(session, Long.MIN_VALUE),
                                OutputKeys.sessionFrom(session, outputCutoff));
                        ranges++;
                    }
                    it.seek(OrderedKey.prefixEnd(session));
                }
                it.status();
            }
        }
        return ranges;
    }

    /** The windows that share a key prefix {@code at} (ending in the resolution byte), from the first key's start on. */
    private record Windows(byte[] at, Resolution resolution, long firstStart) {}

    /** Deletes the expired windows of a family whose keys are (prefix, resolution, start, ...); @return ranges deleted. */
    private static int compactWindows(RocksDB db, ColumnFamilyHandle cf, Writer w, StoreOptions options, long now,
            java.util.function.Function<byte[], Windows> windowsAt) throws RocksDBException {
        int ranges = 0;
        try (RocksIterator it = db.newIterator(cf)) {
            it.seekToFirst();
            while (it.isValid()) {
                Windows windows = windowsAt.apply(it.key());
                byte[] at = windows.at();
                long cutoff = cutoff(now, options.retention().get(windows.resolution()).toNanos());
                if (windows.firstStart() < cutoff) {
                    w.deleteRange(cf, OrderedKey.Writer.startingWith(at).putLong(Long.MIN_VALUE).toBytes(),
                            OrderedKey.Writer.startingWith(at).putLong(cutoff).toBytes());
                    ranges++;
                }
                it.seek(OrderedKey.prefixEnd(at));
            }
            it.status();
        }
        return ranges;
    }

    private static long cutoff(long now, long retention) {
        long c = now - retention;
        return ((now ^ retention) & (now ^ c)) < 0 ? Long.MIN_VALUE : c;
    }

    /** Writes range deletions in WriteBatches of bounded size. */
    private static final class Writer implements AutoCloseable {
        private final RocksDB db;
        private final WriteOptions writeOptions;
        private WriteBatch wb = new WriteBatch();

        Writer(RocksDB db, WriteOptions writeOptions) {
            this.db = db;
            this.writeOptions = writeOptions;
        }

        void deleteRange(ColumnFamilyHandle cf, byte[] from, byte[] to) throws RocksDBException {
            wb.deleteRange(cf, from, to);
            if (wb.count() >= RANGES_PER_WRITE) {
                db.write(writeOptions, wb);
                wb.close();
                wb = new WriteBatch();
            }
        }

        @Override
        public void close() throws RocksDBException {
            try {
                if (wb.count() > 0) {
                    db.write(writeOptions, wb);
                }
            } finally {
                wb.close();
            }
        }
    }
}
