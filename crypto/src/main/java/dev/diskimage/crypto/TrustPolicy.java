package dev.diskimage.crypto;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Which signing certificates an {@link ImageSignatureVerifier} accepts. Either any certificate
 * within its validity period ({@link #validityOnly()}: what Glance and Nova do without
 * {@code enable_certificate_validation}), or only one that chains to a set of trusted
 * certificates ({@link #trusting}: cursive's {@code verify_certificate} with every check on,
 * as Nova's certificate validation runs it).
 *
 * <p>The trusted set is cursive's: the roots and any intermediates a chain may pass through.
 * A chain ends at a self-signed certificate of the set; every certificate that issues one in
 * the chain must be within its validity period, a CA (basic constraints) allowed to sign
 * certificates (key usage keyCertSign), and its path length constraint must allow the
 * intermediates below it.
 */
public final class TrustPolicy {
    /** The trusted certificates, parsed by Bouncy Castle; empty for {@link #validityOnly()}. */
    private final List<X509Certificate> trusted;
    /** Whether the signing certificate must chain to {@link #trusted}. */
    private final boolean chainRequired;

    private TrustPolicy(List<X509Certificate> trusted, boolean chainRequired) {
        this.trusted = trusted;
        this.chainRequired = chainRequired;
    }

    /**
     * Accepts any signing certificate within its validity period whose key is of the image's
     * key type; no chain is checked. Anyone who can put a certificate into the store can then
     * sign images, so use this only where the store itself is the trust decision.
     *
     * @return the policy
     */
    public static TrustPolicy validityOnly() {
        return new TrustPolicy(List.of(), false);
    }

    /**
     * Accepts a signing certificate only when it chains to a self-signed certificate of
     * {@code trusted} through certificates of {@code trusted}, as cursive's
     * {@code verify_certificate} does.
     *
     * @param trusted the trusted roots and intermediates; not empty
     * @return the policy
     * @throws IllegalArgumentException if {@code trusted} is empty or holds a certificate that
     *     cannot be re-encoded
     */
    public static TrustPolicy trusting(Collection<? extends X509Certificate> trusted) {
        Objects.requireNonNull(trusted, "trusted");
        if (trusted.isEmpty()) {
            throw new IllegalArgumentException("no trusted certificates: use validityOnly() to trust none");
        }
        List<X509Certificate> parsed = new ArrayList<>(trusted.size());
        for (X509Certificate certificate : trusted) {
            try {
                parsed.add(BouncyCastle.reparse(Objects.requireNonNull(certificate, "trusted certificate")));
            } catch (CertificateException malformed) {
                throw new IllegalArgumentException("a trusted certificate cannot be parsed: "
                        + certificate.getSubjectX500Principal(), malformed);
            }
        }
        return new TrustPolicy(List.copyOf(parsed), true);
    }

    /**
     * The trusted certificates.
     *
     * @return the certificates given to {@link #trusting}; empty for {@link #validityOnly()}
     */
    public List<X509Certificate> trustedCertificates() {
        return trusted;
    }

    /**
     * Whether a signing certificate must chain to the trusted certificates.
     *
     * @return false for {@link #validityOnly()}
     */
    public boolean requiresChain() {
        return chainRequired;
    }

    /**
     * Says which policy this is and how many certificates it trusts.
     *
     * @return e.g. {@code TrustPolicy[trusting 2 certificates]}
     */
    @Override
    public String toString() {
        return chainRequired ? "TrustPolicy[trusting " + trusted.size() + " certificates]" : "TrustPolicy[validity only]";
    }
}
