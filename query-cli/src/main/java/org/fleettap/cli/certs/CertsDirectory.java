package org.fleettap.cli.certs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.fleettap.security.Pem;
import org.fleettap.security.TlsDir;
import org.fleettap.security.TlsException;

/**
 * The directory {@code fleettap certs --out DIR} writes: the CA ({@code ca.crt}, {@code ca.key}) and one directory
 * per identity, laid out as a Kubernetes TLS secret ({@code ca.crt}, {@code tls.crt}, {@code tls.key}; a user's
 * also holds its bearer {@code token}), plus {@code collector/tokens.yaml}, the SHA-256 of each user's token. Keys
 * and tokens are written 0600. A directory that holds a CA already keeps it: only the identities asked for are
 * added, and an identity that exists is an error, never overwritten; everything is checked before anything is
 * written.
 */
public final class CertsDirectory {
    public static final String CA_KEY = "ca.key";
    public static final String COLLECTOR = "collector";
    public static final String AGENT = "agent";
    public static final String TOKENS = "tokens.yaml";
    /** The collector's names that every client on the collector's own host dials. */
    public static final List<String> LOCAL_NAMES = List.of("localhost", "127.0.0.1", "::1");
    static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");
    static final String TOKENS_HEADER = "# fleettap users: the SHA-256 (hex) of each user's token, never the token\n"
            + "users:\n";
    private static final int TOKEN_BYTES = 32;

    /** A user and the role the collector gives it. */
    public record User(String name, String role) {}

    /** What to create in the directory. */
    public record Request(List<String> collectorNames, List<String> agents, List<User> users, Duration validity) {
        public Request {
            collectorNames = List.copyOf(collectorNames);
            agents = List.copyOf(agents);
            users = List.copyOf(users);
            Objects.requireNonNull(validity, "validity");
        }
    }

    /** One identity directory written, for the command's summary. */
    public record Written(String what, Path dir) {}

    /** The directory cannot be written as asked; the message is one line naming the file. */
    public static final class CertsException extends Exception {
        private static final long serialVersionUID = 1L;

        CertsException(String message) {
            super(message);
        }

        CertsException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Path out;
    private final SecureRandom random;
    private final Instant now;

    public CertsDirectory(Path out, SecureRandom random, Instant now) {
        this.out = Objects.requireNonNull(out, "out");
        this.random = Objects.requireNonNull(random, "random");
        this.now = Objects.requireNonNull(now, "now");
    }

    /** Whether the directory holds a CA already (then only agents and users are added). */
    public boolean hasCa() {
        return Files.exists(out.resolve(CA_KEY));
    }

    /** Creates what {@code r} asks for; returns what was written, the CA first when it is new. */
    public List<Written> create(Request r) throws CertsException {
        boolean existing = hasCa();
        List<User> users = r.users();
        if (!existing && users.isEmpty()) {
            users = List.of(new User("admin", "admin"));
        }
        if (existing && !r.collectorNames().isEmpty()) {
            throw new CertsException(out.resolve(COLLECTOR) + ": the collector's certificate was made with the CA "
                    + "in " + out + "; --collector-name only goes with a new directory");
        }
        // Every identity directory, checked before anything is written.
        List<Path> dirs = new ArrayList<>();
        if (!existing) {
            dirs.add(out.resolve(COLLECTOR));
            dirs.add(out.resolve(AGENT));
        }
        r.agents().forEach(a -> dirs.add(out.resolve("agent-" + a)));
        users.forEach(u -> dirs.add(out.resolve("user-" + u.name())));
        Set<Path> seen = new LinkedHashSet<>();
        for (Path d : dirs) {
            if (!seen.add(d)) {
                throw new CertsException(d + ": named twice");
            }
            if (Files.exists(d)) {
                throw new CertsException(d + ": exists already (an identity is never overwritten; remove it to "
                        + "make it again)");
            }
        }
        Path tokens = out.resolve(COLLECTOR).resolve(TOKENS);
        if (existing && !users.isEmpty() && !Files.isRegularFile(tokens)) {
            throw new CertsException(tokens + ": no such file (the collector's users, where new users are added)");
        }

        List<Written> written = new ArrayList<>();
        try {
            CertificateAuthority ca;
            if (existing) {
                ca = loadCa();
            } else {
                createDirectory(out);
                ca = CertificateAuthority.create(now, random);
                writeNew(out.resolve(CA_KEY), pemKey(ca.key()), true);
                writeNew(out.resolve(TlsDir.CA_FILE), pemCertificate(ca.certificate()), false);
                written.add(new Written("CA", out));
                List<String> names = new ArrayList<>(LOCAL_NAMES);
                for (String n : r.collectorNames()) {
                    if (!names.contains(n)) {
                        names.add(n);
                    }
                }
                identity(ca, out.resolve(COLLECTOR), "fleettap-collector", COLLECTOR, CertificateAuthority.Usage.SERVER,
                        names, r.validity());
                writeNew(tokens, TOKENS_HEADER.getBytes(StandardCharsets.UTF_8), true);
                written.add(new Written("collector (" + String.join(", ", names) + ")", out.resolve(COLLECTOR)));
                identity(ca, out.resolve(AGENT), "*", AGENT, CertificateAuthority.Usage.CLIENT, List.of(),
                        r.validity());
                written.add(new Written("agent (any host id)", out.resolve(AGENT)));
            }
            for (String a : r.agents()) {
                Path d = out.resolve("agent-" + a);
                identity(ca, d, a, AGENT, CertificateAuthority.Usage.CLIENT, List.of(), r.validity());
                written.add(new Written("agent " + a + " (host id " + a + " only)", d));
            }
            StringBuilder entries = new StringBuilder();
            for (User u : users) {
                Path d = out.resolve("user-" + u.name());
                identity(ca, d, u.name(), "user", CertificateAuthority.Usage.CLIENT, List.of(), r.validity());
                byte[] secret = new byte[TOKEN_BYTES];
                random.nextBytes(secret);
                String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
                writeNew(d.resolve(TlsDir.TOKEN_FILE), (token + "\n").getBytes(StandardCharsets.US_ASCII), true);
                entries.append("  - name: ").append(u.name()).append('\n')
                        .append("    role: ").append(u.role()).append('\n')
                        .append("    token_sha256: ").append(sha256Hex(token)).append('\n');
                written.add(new Written("user " + u.name() + " (" + u.role() + ")", d));
            }
            if (entries.length() > 0) {
                Files.writeString(tokens, entries, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            throw new CertsException(describe(e), e);
        } catch (GeneralSecurityException e) {
            throw new CertsException(out + ": " + e.getMessage(), e);
        }
        return written;
    }

    /** The hex SHA-256 of a token's text, as tokens.yaml holds it. */
    public static String sha256Hex(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private CertificateAuthority loadCa() throws CertsException {
        try {
            X509Certificate cert = TlsDir.certificates(out.resolve(TlsDir.CA_FILE)).get(0);
            PrivateKey key = TlsDir.privateKey(out.resolve(CA_KEY));
            return new CertificateAuthority(cert, key, random);
        } catch (TlsException e) {
            throw new CertsException(e.getMessage(), e);
        }
    }

    private void identity(CertificateAuthority ca, Path dir, String cn, String unit, CertificateAuthority.Usage usage,
            List<String> sans, Duration validity) throws IOException, GeneralSecurityException {
        CertificateAuthority.Issued issued = ca.issue(cn, unit, usage, sans, now, validity);
        createDirectory(dir);
        writeNew(dir.resolve(TlsDir.CA_FILE), pemCertificate(ca.certificate()), false);
        writeNew(dir.resolve(TlsDir.CERT_FILE), pemCertificate(issued.certificate()), false);
        writeNew(dir.resolve(TlsDir.KEY_FILE), pemKey(issued.key()), true);
    }

    private static void createDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Files.createDirectories(dir.toAbsolutePath().getParent());
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_DIR));
    }

    /** Creates {@code file} (it must not exist), 0600 from the start when {@code secret}. */
    private static void writeNew(Path file, byte[] content, boolean secret) throws IOException {
        if (secret) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Files.write(file, content, StandardOpenOption.TRUNCATE_EXISTING);
        } else {
            Files.write(file, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }
    }

    private static byte[] pemCertificate(X509Certificate c) throws CertificateEncodingException {
        return Pem.encode("CERTIFICATE", c.getEncoded()).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] pemKey(PrivateKey k) {
        return Pem.encode("PRIVATE KEY", k.getEncoded()).getBytes(StandardCharsets.US_ASCII);
    }

    private static String describe(IOException e) {
        if (e instanceof FileAlreadyExistsException f) {
            return f.getFile() + ": exists already";
        }
        if (e instanceof java.nio.file.AccessDeniedException a) {
            return a.getFile() + ": permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException f) {
            return f.getFile() + ": " + (f.getReason() != null ? f.getReason() : f.getClass().getSimpleName());
        }
        return e.getMessage();
    }
}
