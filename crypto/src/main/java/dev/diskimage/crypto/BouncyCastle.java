package dev.diskimage.crypto;

import java.io.ByteArrayInputStream;
import java.security.Provider;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The one Bouncy Castle JCA provider this module uses for signatures and certificates, passed
 * to each call rather than installed in the JVM (which would change other code's choices).
 * Bouncy Castle, not the JDK, because current JDKs have dropped the binary {@code sect} curves
 * cursive accepts, and the JDK refuses DSA with a hash shorter than the key's q, which
 * OpenSSL (and so cursive) accepts.
 */
final class BouncyCastle {
    /** The provider; creating one is costly (about 100 ms), so there is one. */
    static final Provider PROVIDER = new BouncyCastleProvider();

    private BouncyCastle() {
    }

    /**
     * The certificates in {@code encoded} (PEM, several allowed, or one DER), parsed by Bouncy
     * Castle so that their keys work on every supported curve.
     */
    static List<X509Certificate> parse(byte[] encoded) throws CertificateException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509", PROVIDER);
        Collection<? extends java.security.cert.Certificate> parsed =
                factory.generateCertificates(new ByteArrayInputStream(encoded));
        List<X509Certificate> certificates = new ArrayList<>(parsed.size());
        for (java.security.cert.Certificate certificate : parsed) {
            if (!(certificate instanceof X509Certificate x509)) {
                throw new CertificateException("not an X.509 certificate");
            }
            certificates.add(x509);
        }
        return certificates;
    }

    /**
     * {@code certificate} re-parsed by Bouncy Castle: a store may hand over the JDK's parse, whose
     * key for a {@code sect} curve the JDK cannot use.
     */
    static X509Certificate reparse(X509Certificate certificate) throws CertificateException {
        List<X509Certificate> parsed = parse(certificate.getEncoded());
        if (parsed.size() != 1) {
            throw new CertificateException("the encoding holds " + parsed.size() + " certificates");
        }
        return parsed.get(0);
    }
}
