package org.fleettap.security;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's trust manager: the CA's own checks, plus a warning for each client certificate it refuses (a
 * handshake failure is otherwise silent on the server: gRPC never sees the connection). It names no acceptable
 * issuers, so that every client presents its certificate and a refusal is always seen here. Rate limited to one line
 * per {@link #LOG_EVERY_NANOS}, which says how many refusals it stands for.
 */
final class LoggingTrustManager extends X509ExtendedTrustManager {
    private static final Logger log = LoggerFactory.getLogger(LoggingTrustManager.class);
    static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final X509ExtendedTrustManager delegate;
    private final Object lock = new Object();
    private long lastLog = System.nanoTime() - LOG_EVERY_NANOS;
    private long unlogged;

    LoggingTrustManager(X509ExtendedTrustManager delegate) {
        this.delegate = delegate;
    }

    /** One of the delegate's checks of a client's chain. */
    @FunctionalInterface
    private interface Check {
        void run() throws CertificateException;
    }

    private void logged(X509Certificate[] chain, Check check) throws CertificateException {
        try {
            check.run();
        } catch (CertificateException e) {
            refused(chain, e);
            throw e;
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        logged(chain, () -> delegate.checkClientTrusted(chain, authType, engine));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        logged(chain, () -> delegate.checkClientTrusted(chain, authType, socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        logged(chain, () -> delegate.checkClientTrusted(chain, authType));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        delegate.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        delegate.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        delegate.checkServerTrusted(chain, authType);
    }

    /**
     * None named: otherwise the server lists its CA in the handshake, a client whose certificate another CA signed
     * sends none, and the refusal never reaches {@link #checkClientTrusted} to be logged. Which certificates are
     * accepted is unchanged: the checks are the delegate's.
     */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }

    private void refused(X509Certificate[] chain, CertificateException e) {
        long more;
        synchronized (lock) {
            long now = System.nanoTime();
            if (now - lastLog < LOG_EVERY_NANOS) {
                unlogged++;
                return;
            }
            lastLog = now;
            more = unlogged;
            unlogged = 0;
        }
        String who = chain == null || chain.length == 0 ? "no certificate"
                : "'" + chain[0].getSubjectX500Principal().getName() + "' issued by '"
                        + chain[0].getIssuerX500Principal().getName() + "'";
        log.warn("refused a client certificate: {}: {}{}", who, e.getMessage(),
                more > 0 ? " (and " + more + " more refusals in the last " + TimeUnit.NANOSECONDS.toSeconds(
                        LOG_EVERY_NANOS) + " s)" : "");
        log.debug("client certificate refused", e);
    }
}
