package org.fleettap.cli.certs;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The fleet's CA: an EC P-256 key and a self-signed certificate, and the certificates it issues to the collector
 * (serverAuth, with the names clients dial as SANs), agents and users (clientAuth). Subjects are {@code CN=NAME,
 * OU=KIND, O=fleettap}: the collector tells agents from users by OU and binds them by CN. Keys and certificates are
 * made with the JDK's providers; BouncyCastle only builds the certificates' structure.
 */
public final class CertificateAuthority {
    public static final String ORGANIZATION = "fleettap";
    public static final Duration CA_VALIDITY = Duration.ofDays(3650);
    /** The start of validity is set this far back, so that hosts whose clocks lag a little accept new certificates. */
    static final Duration BACKDATE = Duration.ofMinutes(5);
    private static final String SIGNATURE = "SHA256withECDSA";

    private final X509Certificate certificate;
    private final PrivateKey key;
    private final SecureRandom random;

    /** A certificate and its key, as issued. */
    public record Issued(X509Certificate certificate, PrivateKey key) {}

    /** What a certificate is for. */
    public enum Usage {
        SERVER(KeyPurposeId.id_kp_serverAuth), CLIENT(KeyPurposeId.id_kp_clientAuth);

        private final KeyPurposeId purpose;

        Usage(KeyPurposeId purpose) {
            this.purpose = purpose;
        }
    }

    public CertificateAuthority(X509Certificate certificate, PrivateKey key, SecureRandom random) {
        this.certificate = Objects.requireNonNull(certificate, "certificate");
        this.key = Objects.requireNonNull(key, "key");
        this.random = Objects.requireNonNull(random, "random");
    }

    /** A new CA, valid for {@link #CA_VALIDITY} from {@code now}. */
    public static CertificateAuthority create(Instant now, SecureRandom random) throws GeneralSecurityException {
        KeyPair pair = newKeyPair(random);
        // A CA of its own name, so that logs tell one fleet's CA from another's.
        X500Name name = name("fleettap-ca-" + java.util.HexFormat.of().formatHex(pair.getPublic().getEncoded(),
                pair.getPublic().getEncoded().length - 4, pair.getPublic().getEncoded().length), "ca");
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(random),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(CA_VALIDITY)), name, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            ext.createSubjectKeyIdentifier(pair.getPublic()));
            return new CertificateAuthority(sign(b, pair.getPrivate()), pair.getPrivate(), random);
        } catch (CertIOException e) {
            throw new GeneralSecurityException("building the CA certificate: " + e.getMessage(), e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey key() {
        return key;
    }

    /**
     * A new key and a certificate for {@code CN=commonName, OU=unit, O=fleettap}, valid for {@code validity} from
     * {@code now} (never beyond the CA), with {@code sans} (DNS names or IP addresses) as subject alternative names.
     */
    public Issued issue(String commonName, String unit, Usage usage, List<String> sans, Instant now,
            Duration validity) throws GeneralSecurityException {
        KeyPair pair = newKeyPair(random);
        Instant notAfter = now.plus(validity);
        if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
            notAfter = certificate.getNotAfter().toInstant();
        }
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(random),
                    Date.from(now.minus(BACKDATE)), Date.from(notAfter), name(commonName, unit), pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(usage.purpose))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            ext.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            ext.createAuthorityKeyIdentifier(certificate));
            if (!sans.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false, subjectAltNames(sans));
            }
            return new Issued(sign(b, key), pair.getPrivate());
        } catch (CertIOException e) {
            throw new GeneralSecurityException("building the certificate of " + commonName + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code name} is written as an IP address (IPv4 dotted, or IPv6 with colons). */
    public static boolean isIpAddress(String name) {
        return name.matches("\\d{1,3}(\\.\\d{1,3}){3}") || (name.contains(":") && name.matches("[0-9A-Fa-f:.]+"));
    }

    private static GeneralNames subjectAltNames(List<String> sans) throws CertIOException {
        List<GeneralName> names = new ArrayList<>();
        for (String s : sans) {
            if (isIpAddress(s)) {
                try {
                    // A literal: InetAddress parses it without a lookup.
                    names.add(new GeneralName(GeneralName.iPAddress,
                            new org.bouncycastle.asn1.DEROctetString(InetAddress.getByName(s).getAddress())));
                } catch (UnknownHostException e) {
                    throw new CertIOException("'" + s + "' is not an IP address", e);
                }
            } else {
                names.add(new GeneralName(GeneralName.dNSName, s));
            }
        }
        return new GeneralNames(names.toArray(new GeneralName[0]));
    }

    /** Most significant first (O, OU, CN), so that RFC 2253 prints it as {@code CN=..,OU=..,O=fleettap}. */
    private static X500Name name(String commonName, String unit) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, ORGANIZATION).addRDN(BCStyle.OU, unit)
                .addRDN(BCStyle.CN, commonName).build();
    }

    private static KeyPair newKeyPair(SecureRandom random) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), random);
        return g.generateKeyPair();
    }

    private static BigInteger serial(SecureRandom random) {
        return new BigInteger(127, random).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer)
            throws GeneralSecurityException {
        try {
            ContentSigner s = new JcaContentSignerBuilder(SIGNATURE).build(signer);
            return new JcaX509CertificateConverter().getCertificate(b.build(s));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("signing with " + SIGNATURE + ": " + e.getMessage(), e);
        }
    }
}
