package org.fleettap.security;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * What a failed TLS connection means, in one line for users and logs: gRPC reports every handshake failure as
 * "UNAVAILABLE: io exception" with the reason buried in the cause chain. Shared by the agent and the CLI.
 */
public final class TlsFailures {
    private TlsFailures() {
    }

    /**
     * The TLS reason {@code failure} (a gRPC status's cause, or anything wrapping it) carries, or null when it is
     * not a TLS failure. {@code peer} names the other side ("the collector at 127.0.0.1:7420").
     */
    public static String describe(Throwable failure, String peer) {
        Throwable tls = null;
        String alert = null;
        boolean notTls = false;
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage();
            String lower = m.toLowerCase(Locale.ROOT);
            if (t.getClass().getSimpleName().equals("NotSslRecordException") || lower.contains("not an ssl/tls record")
                    || lower.contains("wrong_version_number")) {
                notTls = true;
            }
            if (t instanceof CertPathValidatorException || lower.contains("trust anchor")
                    || lower.contains("unable to find valid certification path")) {
                return "TLS handshake with " + peer + " failed: its certificate is not signed by the CA in "
                        + TlsDir.CA_FILE + " (" + firstLine(m) + ")";
            }
            if (t instanceof CertificateException && (lower.contains("no subject alternative")
                    || lower.contains("no name matching"))) {
                return "TLS handshake with " + peer + " failed: its certificate does not name the address dialled ("
                        + firstLine(m) + "; see fleettap certs --collector-name)";
            }
            if (alert == null) {
                alert = alert(lower);
            }
            if (t instanceof SSLException && tls == null) {
                tls = t;
            }
        }
        if (alert != null) {
            // BoringSSL answers a certificate its trust manager refused with internal_error.
            return peer + " refused this certificate in the TLS handshake (alert " + alert + "): it accepts only "
                    + "certificates its CA signed";
        }
        if (notTls) {
            return peer + " does not speak TLS (is it running with --insecure?)";
        }
        if (tls != null) {
            return "TLS handshake with " + peer + " failed: " + firstLine(tls.getMessage());
        }
        return null;
    }

    /** The name of a TLS alert about certificates in a message, from the JDK ("Received fatal alert: x") or BoringSSL. */
    private static String alert(String lower) {
        for (String a : new String[] {"bad_certificate", "certificate_unknown", "unknown_ca", "certificate_required",
                "unsupported_certificate", "certificate_expired", "certificate_revoked", "access_denied",
                "internal_error"}) {
            if (lower.contains("alert") && (lower.contains(a) || lower.contains(a.replace("_", " ")))) {
                return a;
            }
        }
        return null;
    }

    private static String firstLine(String m) {
        if (m == null) {
            return "no reason given";
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
