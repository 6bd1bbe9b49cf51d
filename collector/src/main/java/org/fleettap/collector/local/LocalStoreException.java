package org.fleettap.collector.local;

/**
 * A local store cannot be used: its directory is missing or holds no store, another process has it open, or it
 * cannot be read. The message is one line for users and names the directory.
 */
public final class LocalStoreException extends Exception {
    LocalStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
