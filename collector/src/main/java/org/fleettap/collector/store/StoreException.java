package org.fleettap.collector.store;

/**
 * The store could not do what was asked because RocksDB or the file system failed, or stored data
 * is unreadable. The message says what was being done and where ({@code opening store at DIR:
 * ...}); the cause is the failure below. Nothing of a write that failed was applied.
 */
public final class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    StoreException(String message) {
        super(message);
    }
}
