package org.fleettap.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.fleettap.cli.certs.CertificateAuthority;
import org.fleettap.cli.certs.CertsDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fleettap certs}: a CA and the certificates of the collector, agents and users, in the layout every
 * {@code --tls-dir} reads (docs/security.md). Run again on the same directory, it keeps the CA and adds the agents
 * and users named.
 */
@Command(name = "certs", mixinStandardHelpOptions = true,
        description = {"Create a CA and TLS certificates for the collector, agents and users (EC P-256): "
                + "OUT/collector, OUT/agent (any host), OUT/agent-ID, OUT/user-NAME (with its token), each usable "
                + "as --tls-dir or as a Kubernetes TLS secret.",
                "Where OUT holds a CA already (OUT/ca.key), it is kept and only the --agent and --user identities "
                        + "are added (users are appended to OUT/collector/tokens.yaml)."})
final class CertsCommand implements Callable<Integer> {
    static final Set<String> ROLES = Set.of("viewer", "operator", "admin");
    static final int DEFAULT_DAYS = 365;
    private static final Pattern USER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern DNS_NAME = Pattern.compile("[A-Za-z0-9*]([A-Za-z0-9-]*[A-Za-z0-9])?"
            + "(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write (created if missing).")
    Path out;

    @Option(names = "--collector-name", paramLabel = "NAME",
            description = "A DNS name or IP address agents and users dial the collector by, besides localhost, "
                    + "127.0.0.1 and ::1; may be repeated (a new directory only).")
    List<String> collectorNames = new ArrayList<>();

    @Option(names = "--agent", paramLabel = "ID",
            description = "Also a certificate bound to host id ID (OUT/agent-ID); may be repeated.")
    List<String> agents = new ArrayList<>();

    @Option(names = "--user", paramLabel = "NAME:ROLE",
            description = "A user (OUT/user-NAME) with role viewer, operator or admin; may be repeated (default "
                    + "for a new directory: admin:admin).")
    List<String> users = new ArrayList<>();

    @Option(names = "--days", paramLabel = "N", defaultValue = "" + DEFAULT_DAYS,
            description = "How long the new certificates are valid (default ${DEFAULT-VALUE}; the CA: 10 years).")
    int days;

    @Override
    public Integer call() throws Exception {
        if (days < 1) {
            throw bad("--days " + days + ": must be at least 1");
        }
        for (String n : collectorNames) {
            if (!CertificateAuthority.isIpAddress(n) && !DNS_NAME.matcher(n).matches()) {
                throw bad("--collector-name '" + n + "': not a DNS name or IP address");
            }
        }
        for (String a : agents) {
            if (a.isEmpty() || a.equals(".") || a.equals("..") || a.contains("/") || a.equals("*")
                    || !a.strip().equals(a) || a.getBytes(StandardCharsets.UTF_8).length > AgentCommand.MAX_HOST_ID_BYTES) {
                throw bad("--agent '" + a + "': not a host id (1 to " + AgentCommand.MAX_HOST_ID_BYTES
                        + " bytes, no '/', no blanks around it)");
            }
        }
        List<CertsDirectory.User> parsed = new ArrayList<>();
        for (String u : users) {
            int colon = u.lastIndexOf(':');
            String name = colon < 0 ? u : u.substring(0, colon);
            String role = colon < 0 ? "" : u.substring(colon + 1);
            if (!USER_NAME.matcher(name).matches()) {
                throw bad("--user '" + u + "': expected NAME:ROLE, NAME of letters, digits, '.', '_', '-'");
            }
            if (!ROLES.contains(role)) {
                throw bad("--user '" + u + "': the role must be viewer, operator or admin");
            }
            parsed.add(new CertsDirectory.User(name, role));
        }
        CertsDirectory dir = new CertsDirectory(out, new SecureRandom(), Instant.now());
        List<CertsDirectory.Written> written;
        try {
            written = dir.create(new CertsDirectory.Request(collectorNames, agents, parsed, Duration.ofDays(days)));
        } catch (CertsDirectory.CertsException e) {
            throw new UserErrors.UsageException(e.getMessage());
        }
        for (CertsDirectory.Written w : written) {
            System.out.println(w.what() + ": " + w.dir());
        }
        return 0;
    }

    private CommandLine.ParameterException bad(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
