package org.fleettap.security;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * One identity's TLS directory, laid out as a Kubernetes TLS secret: {@value #CA_FILE} (the fleet's CA, the only
 * certificate trusted), {@value #CERT_FILE} (this identity's certificate) and {@value #KEY_FILE} (its PKCS#8 key).
 * {@code fleettap certs} writes such directories; the collector, the agent and the CLI each read one with {@code
 * --tls-dir}. Loading checks everything up front (the files exist, parse, and the key belongs to the certificate),
 * so that a bad directory is one line naming the file at start, not a handshake failure later.
 */
public final class TlsDir {
    public static final String CA_FILE = "ca.crt";
    public static final String CERT_FILE = "tls.crt";
    public static final String KEY_FILE = "tls.key";
    /** A user's bearer token, beside the user's certificate. */
    public static final String TOKEN_FILE = "token";
    private static final char[] NO_PASSWORD = new char[0];

    private final Path dir;
    private final List<X509Certificate> ca;
    private final List<X509Certificate> chain;
    private final PrivateKey key;

    private TlsDir(Path dir, List<X509Certificate> ca, List<X509Certificate> chain, PrivateKey key) {
        this.dir = dir;
        this.ca = List.copyOf(ca);
        this.chain = List.copyOf(chain);
        this.key = key;
    }

    /** Reads and checks {@code dir}'s three files. */
    public static TlsDir load(Path dir) throws TlsException {
        Objects.requireNonNull(dir, "dir");
        if (!Files.isDirectory(dir)) {
            throw new TlsException(dir + ": " + (Files.exists(dir) ? "not a directory" : "no such directory")
                    + " (expected " + CA_FILE + ", " + CERT_FILE + " and " + KEY_FILE + ")");
        }
        List<X509Certificate> ca = certificates(dir.resolve(CA_FILE));
        List<X509Certificate> chain = certificates(dir.resolve(CERT_FILE));
        PrivateKey key = privateKey(dir.resolve(KEY_FILE));
        checkPair(dir, chain.get(0), key);
        return new TlsDir(dir, ca, chain, key);
    }

    public Path directory() {
        return dir;
    }

    /** This identity's certificate (the first of {@value #CERT_FILE}). */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    /**
     * For the collector: TLS with this identity's certificate, and client certificates required, valid only when
     * they chain to {@value #CA_FILE} (the system's CAs are not trusted). A refused client certificate is logged.
     */
    public ServerCredentials serverCredentials() throws TlsException {
        return TlsServerCredentials.newBuilder().keyManager(keyManagers()).trustManager(
                        new LoggingTrustManager(trustManager()))
                .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
    }

    /**
     * For agents and the CLI: TLS presenting this identity's certificate, trusting only a collector whose
     * certificate chains to {@value #CA_FILE} and names the host dialled.
     */
    public ChannelCredentials channelCredentials() throws TlsException {
        return TlsChannelCredentials.newBuilder().keyManager(keyManagers()).trustManager(trustManager()).build();
    }

    private KeyManager[] keyManagers() throws TlsException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("identity", key, NO_PASSWORD, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, NO_PASSWORD);
            return kmf.getKeyManagers();
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsException(dir.resolve(KEY_FILE) + ": cannot use the key with " + CERT_FILE + " ("
                    + e.getMessage() + ")", e);
        }
    }

    private X509ExtendedTrustManager trustManager() throws TlsException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            for (int i = 0; i < ca.size(); i++) {
                ks.setCertificateEntry("ca-" + i, ca.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return x;
                }
            }
            throw new TlsException(dir.resolve(CA_FILE) + ": the JDK made no X.509 trust manager for it");
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsException(dir.resolve(CA_FILE) + ": cannot trust it (" + e.getMessage() + ")", e);
        }
    }

    /** The bytes of {@code file}; a file that cannot be read is a one-line TlsException naming it. */
    public static byte[] read(Path file) throws TlsException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TlsException(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new TlsException(file + ": permission denied");
        } catch (IOException e) {
            throw new TlsException(file + ": cannot read it (" + e.getMessage() + ")", e);
        }
    }

    private static List<Pem.Block> blocks(Path file, String type) throws TlsException {
        List<Pem.Block> found = new ArrayList<>();
        try {
            for (Pem.Block b : Pem.parse(read(file))) {
                if (b.type().equals(type)) {
                    found.add(b);
                }
            }
        } catch (Pem.PemException e) {
            throw new TlsException(file + ": " + e.getMessage());
        }
        if (found.isEmpty()) {
            throw new TlsException(file + ": no PEM '" + type + "' block in it");
        }
        return found;
    }

    /** The certificates of a PEM file, in order (at least one). */
    public static List<X509Certificate> certificates(Path file) throws TlsException {
        List<X509Certificate> certs = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Pem.Block b : blocks(file, "CERTIFICATE")) {
                certs.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
            }
        } catch (CertificateException e) {
            throw new TlsException(file + ": not a valid X.509 certificate (" + e.getMessage() + ")", e);
        }
        return certs;
    }

    /** The PKCS#8 private key of a PEM file ({@code -----BEGIN PRIVATE KEY-----}). */
    public static PrivateKey privateKey(Path file) throws TlsException {
        byte[] der = blocks(file, "PRIVATE KEY").get(0).der();
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
                // try the next algorithm
            }
        }
        throw new TlsException(file + ": not a PKCS#8 EC or RSA private key");
    }

    /** Fails unless {@code key} signs what the certificate's public key verifies. */
    private static void checkPair(Path dir, X509Certificate cert, PrivateKey key) throws TlsException {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> key.getAlgorithm();
        };
        byte[] probe = "fleettap key check".getBytes(StandardCharsets.US_ASCII);
        boolean ok;
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(algorithm);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            ok = v.verify(sig);
        } catch (GeneralSecurityException e) {
            ok = false;
        }
        if (!ok) {
            throw new TlsException(dir.resolve(KEY_FILE) + ": not the key of " + dir.resolve(CERT_FILE) + " ("
                    + cert.getSubjectX500Principal().getName() + ")");
        }
    }
}
