package org.fleettap.cli;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import java.nio.file.Path;
import org.fleettap.security.TlsDir;
import org.fleettap.security.TlsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * --tls-dir DIR or --insecure, mixed into every command that talks gRPC to or as a collector: one of them must be
 * chosen, so that plaintext is never what happens for lack of a flag. For the daemons the settings also come from
 * FLEETTAP_TLS_DIR / FLEETTAP_INSECURE and the config keys tls-dir / insecure ({@link DaemonSettings}).
 */
class TlsOptions {
    private static final Logger log = LoggerFactory.getLogger(TlsOptions.class);

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    @Option(names = "--tls-dir", paramLabel = "DIR",
            description = "TLS with the certificate in DIR (ca.crt, tls.crt, tls.key; see 'fleettap certs').")
    Path tlsDir;

    @Option(names = "--insecure",
            description = "Plaintext gRPC without authentication (anyone who can reach the port is let in).")
    boolean insecure;

    /** The TLS directory, loaded; null for --insecure (the caller warns, {@link #warnIfInsecure}). */
    TlsDir load() throws UserErrors.UsageException {
        String command = commandName();
        if (tlsDir != null && insecure) {
            throw new UserErrors.UsageException(command + ": --tls-dir and --insecure cannot be used together", 2);
        }
        if (tlsDir == null && !insecure) {
            throw new UserErrors.UsageException(command + ": give --tls-dir DIR (see 'fleettap certs') or --insecure",
                    2);
        }
        if (insecure) {
            return null;
        }
        TlsDir dir = usable(() -> TlsDir.load(tlsDir));
        log.debug("TLS from {}: certificate '{}' issued by '{}'", tlsDir,
                dir.certificate().getSubjectX500Principal().getName(),
                dir.certificate().getIssuerX500Principal().getName());
        return dir;
    }

    /** A step that reads or uses the TLS directory. */
    interface TlsStep<T> {
        T get() throws TlsException;
    }

    /** What {@code step} gives; its failure is a usage error (exit 2) of --tls-dir, in one line. */
    static <T> T usable(TlsStep<T> step) throws UserErrors.UsageException {
        try {
            return step.get();
        } catch (TlsException e) {
            throw new UserErrors.UsageException("--tls-dir: " + e.getMessage(), 2);
        }
    }

    /** The command's name for messages ({@code collector}, {@code query}). */
    String commandName() {
        return mixee.qualifiedName(" ").replaceFirst("^fleettap ", "");
    }

    /**
     * With --insecure, the one warning at start: {@code exposed} is the address it names and {@code risk} what
     * anyone who can reach it can then do.
     */
    void warnIfInsecure(String exposed, String risk) {
        if (insecure) {
            System.err.println("fleettap: warning: --insecure: plaintext gRPC without authentication; anyone who can "
                    + "reach " + exposed + " can " + risk);
            System.err.flush();
        }
    }

    /** For the collector: mTLS from the directory, or plaintext (the caller warns once it knows its port). */
    ServerCredentials serverCredentials() throws UserErrors.UsageException {
        TlsDir dir = load();
        return dir == null ? InsecureServerCredentials.create() : usable(dir::serverCredentials);
    }

    /** For an agent: TLS with the directory's certificate, or plaintext. */
    ChannelCredentials channelCredentials(String exposed, String risk) throws UserErrors.UsageException {
        TlsDir dir = load();
        warnIfInsecure(exposed, risk);
        return dir == null ? InsecureChannelCredentials.create() : usable(dir::channelCredentials);
    }
}
