package org.fleettap.security;

/** A TLS directory that cannot be used; the message is one line naming the file and what is wrong with it. */
public final class TlsException extends Exception {
    private static final long serialVersionUID = 1L;

    public TlsException(String message) {
        super(message);
    }

    public TlsException(String message, Throwable cause) {
        super(message, cause);
    }
}
