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
            try (RocksIterator it = db.newIterator(rollups)) {
                it.seekToFirst();
                while (it.isValid()) {
                    byte[] k = it.key();
                    int statistic = RollupKeys.statisticLength(k);
                    RollupKeys.Parsed p = RollupKeys.parse(k, statistic);
                    byte[] at = java.util.Arrays.copyOf(k, statistic + 1);
                    long cutoff = cutoff(now, options.retention().get(p.resolution()).toNanos());
                    if (p.start() < cutoff) {
                        w.deleteRange(rollups, OrderedKey.Writer.startingWith(at).putLong(Long.MIN_VALUE).toBytes(),
                                OrderedKey.Writer.startingWith(at).putLong(cutoff).toBytes());
                        ranges++;
                    }
                    it.seek(OrderedKey.prefixEnd(at));
                }
                it.status();
            }
            try (RocksIterator it = db.newIterator(aggregates)) {
                it.seekToFirst();
                while (it.isValid()) {
                    byte[] k = it.key();
                    AggregateKeys.Parsed p = AggregateKeys.parse(k);
                    byte[] at = java.util.Arrays.copyOf(k, p.seriesEnd() + 1);
                    long cutoff = cutoff(now, options.retention().get(p.resolution()).toNanos());
                    if (p.start() < cutoff) {
                        w.deleteRange(aggregates, OrderedKey.Writer.startingWith(at).putLong(Long.MIN_VALUE).toBytes(),
                                OrderedKey.Writer.startingWith(at).putLong(cutoff).toBytes());
                        ranges++;
                    }
                    it.seek(OrderedKey.prefixEnd(at));
                }
                it.status();
            }
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
