package org.fleettap.cli;

import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.fleettap.security.BearerToken;
import org.fleettap.security.TlsDir;
import org.fleettap.security.TlsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * The CLI's side of {@link TlsOptions}: TLS with the user's certificate, and the user's token on every call. The
 * token comes from --token-file, else FLEETTAP_TOKEN, else the TLS directory's {@value TlsDir#TOKEN_FILE}.
 */
class ClientTlsOptions extends TlsOptions {
    static final String TOKEN_ENV = "FLEETTAP_TOKEN";
    private static final Logger log = LoggerFactory.getLogger(ClientTlsOptions.class);

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "The user's token (default: $" + TOKEN_ENV + ", else TLS-DIR/token).")
    Path tokenFile;

    /** Credentials for a channel to {@code collector}: TLS with the token, or plaintext after the warning. */
    ChannelCredentials credentials(HostPort collector) throws UserErrors.UsageException {
        if (insecure && tokenFile != null) {
            throw new UserErrors.UsageException(commandName() + ": --token-file needs --tls-dir (--insecure sends no "
                    + "token)", 2);
        }
        TlsDir dir = load();
        warnIfInsecure(collector.toString(), "start sessions on its agents and read what they record");
        if (dir == null) {
            return InsecureChannelCredentials.create();
        }
        ChannelCredentials tls = usable(dir::channelCredentials);
        String token = token(env(), dir.directory());
        return token == null ? tls : CompositeChannelCredentials.create(tls, new BearerToken(token));
    }

    /** For a command that talks to no collector this time (a local run or store): none of these options apply. */
    void unusedWithout(String what) throws UserErrors.UsageException {
        String given = tlsDir != null ? "--tls-dir" : insecure ? "--insecure" : tokenFile != null ? "--token-file" : null;
        if (given != null) {
            throw new UserErrors.UsageException(commandName() + ": " + given + " needs " + what
                    + " (local runs and stores need neither --tls-dir nor --insecure)", 2);
        }
    }

    private Map<String, String> env() {
        return mixee.root().userObject() instanceof Main m ? m.env() : System.getenv();
    }

    /** The token, by the order above; null when there is none. */
    String token(Map<String, String> env, Path dir) throws UserErrors.UsageException {
        if (tokenFile != null) {
            log.debug("token from --token-file {}", tokenFile);
            return readToken("--token-file ", tokenFile);
        }
        String fromEnv = env.get(TOKEN_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            log.debug("token from {}", TOKEN_ENV);
            return checked(TOKEN_ENV, fromEnv.strip());
        }
        Path file = dir.resolve(TlsDir.TOKEN_FILE);
        if (Files.exists(file)) {
            log.debug("token from {}", file);
            return readToken("", file);
        }
        log.debug("no token: no --token-file, no {}, no {}", TOKEN_ENV, file);
        return null;
    }

    /** The token in {@code file}; errors begin with {@code option} ("--token-file " or nothing) and the file. */
    private static String readToken(String option, Path file) throws UserErrors.UsageException {
        byte[] bytes;
        try {
            bytes = TlsDir.read(file);
        } catch (TlsException e) {
            throw new UserErrors.UsageException(option + e.getMessage(), 2);
        }
        return checked(option + file, new String(bytes, StandardCharsets.US_ASCII).strip());
    }

    private static String checked(String where, String token) throws UserErrors.UsageException {
        if (token.isEmpty() || !token.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
            throw new UserErrors.UsageException(where + ": not a token (one word of printable ASCII)", 2);
        }
        return token;
    }
}
