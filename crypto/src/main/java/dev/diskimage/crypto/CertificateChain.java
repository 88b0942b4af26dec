package dev.diskimage.crypto;

import dev.diskimage.core.UntrustedText;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;

/**
 * Builds and checks the chain from a signing certificate to a trusted root, with the checks
 * of cursive's {@code CertificateVerificationContext} (every enforcement on): issuers found by
 * subject/issuer name and signature among the trusted certificates only; each issuer within
 * its dates, a CA with keyCertSign; the chain ends at a self-signed trusted certificate; path
 * length constraints hold. Where cursive drops unusable trusted certificates silently and then
 * says only "could not locate the signing certificate", the refusal here names why the issuer
 * it found was unusable.
 */
final class CertificateChain {
    /**
     * Longest chain followed, signing certificate included; cursive has no cap, and a loop of
     * cross-signed certificates would never end.
     */
    static final int MAX_LENGTH = 16;
    /** RFC 5280, 4.2.1.3: index of keyCertSign in {@link X509Certificate#getKeyUsage()}. */
    private static final int KEY_CERT_SIGN = 5;
    /** How much of a subject name a message quotes. */
    private static final int MAX_QUOTED = 200;

    /** The image, for messages. */
    private final String imageName;
    /** The signing certificate's id, for messages. */
    private final String certificateId;

    CertificateChain(String imageName, String certificateId) {
        this.imageName = imageName;
        this.certificateId = certificateId;
    }

    /**
     * Checks that a chain leads from {@code signing} to a self-signed certificate of
     * {@code trusted}.
     *
     * @return the number of certificates in the chain, {@code signing} and the root included
     * @throws SigningCertificateException if there is none, or an issuer or constraint refuses it
     */
    int verify(X509Certificate signing, List<X509Certificate> trusted, Date now) {
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(signing);
        X509Certificate current = signing;
        while (true) {
            X509Certificate issuer = usableIssuer(current, trusted, now);
            if (issuer.equals(current)) {
                break;
            }
            if (chain.contains(issuer) || chain.size() >= MAX_LENGTH) {
                throw refused(SigningCertificateException.Reason.UNTRUSTED,
                        "the chain loops or is longer than " + MAX_LENGTH + " certificates");
            }
            chain.add(issuer);
            current = issuer;
        }
        Collections.reverse(chain);
        checkPathLengths(chain);
        return chain.size();
    }

    private X509Certificate usableIssuer(X509Certificate issued, List<X509Certificate> trusted, Date now) {
        X509Certificate firstCandidate = null;
        for (X509Certificate candidate : trusted) {
            if (!issued(candidate, issued)) {
                continue;
            }
            if (validAt(candidate, now) && canSignCertificates(candidate)) {
                return candidate;
            }
            if (firstCandidate == null) {
                firstCandidate = candidate;
            }
        }
        if (firstCandidate == null) {
            throw refused(SigningCertificateException.Reason.UNTRUSTED,
                    "no trusted certificate issued '" + subject(issued) + "'");
        }
        if (!validAt(firstCandidate, now)) {
            throw refused(SigningCertificateException.Reason.ISSUER_NOT_VALID_NOW,
                    "issuer '" + subject(firstCandidate) + "' is outside its validity period ("
                            + firstCandidate.getNotBefore().toInstant() + " to "
                            + firstCandidate.getNotAfter().toInstant() + ")");
        }
        throw refused(SigningCertificateException.Reason.ISSUER_NOT_A_CA,
                "issuer '" + subject(firstCandidate) + "' is not a CA allowed to sign certificates"
                        + " (basic constraints CA and key usage keyCertSign)");
    }

    /**
     * Cursive's path length rule: a certificate at index {@code i} of the root-first chain of
     * {@code n} must allow the {@code n - i - 2} intermediates below it (RFC 5280, 4.2.1.9).
     */
    private void checkPathLengths(List<X509Certificate> chain) {
        int n = chain.size();
        for (int i = 0; i < n - 1; i++) {
            X509Certificate certificate = chain.get(i);
            int intermediatesBelow = Math.max(n - i - 2, 0);
            // getBasicConstraints(): -1 for no CA, Integer.MAX_VALUE for CA without a limit
            int allowed = certificate.getBasicConstraints();
            if (allowed < intermediatesBelow) {
                throw refused(SigningCertificateException.Reason.PATH_LENGTH_EXCEEDED,
                        "'" + subject(certificate) + "' allows " + Math.max(allowed, 0)
                                + " intermediate certificates below it, the chain has " + intermediatesBelow);
            }
        }
    }

    /** Cursive's {@code is_issuer}: names match and the issuer's key verifies the signature. */
    private static boolean issued(X509Certificate issuer, X509Certificate issued) {
        if (!issuer.getSubjectX500Principal().equals(issued.getIssuerX500Principal())) {
            return false;
        }
        try {
            issued.verify(issuer.getPublicKey(), BouncyCastle.PROVIDER);
            return true;
        } catch (GeneralSecurityException | RuntimeException notSignedByIt) {
            return false;
        }
    }

    /**
     * Cursive's {@code can_sign_certificates}: basic constraints CA and keyCertSign. Bouncy
     * Castle's certificates (every one here is re-parsed by it) pad the key usage to 9 bits.
     */
    static boolean canSignCertificates(X509Certificate certificate) {
        boolean[] keyUsage = certificate.getKeyUsage();
        return certificate.getBasicConstraints() >= 0 && keyUsage != null && keyUsage[KEY_CERT_SIGN];
    }

    static boolean validAt(X509Certificate certificate, Date now) {
        return !now.before(certificate.getNotBefore()) && !now.after(certificate.getNotAfter());
    }

    static String subject(X509Certificate certificate) {
        return UntrustedText.sanitize(certificate.getSubjectX500Principal().getName(), MAX_QUOTED);
    }

    private SigningCertificateException refused(SigningCertificateException.Reason reason, String detail) {
        return new SigningCertificateException(imageName, reason, certificateId, detail, null);
    }
}
