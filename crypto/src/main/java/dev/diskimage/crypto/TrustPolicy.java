package dev.diskimage.crypto;

import dev.diskimage.core.SignatureVerificationException;
import dev.diskimage.core.UntrustedText;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    private static final Logger LOG = LoggerFactory.getLogger(TrustPolicy.class);
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
     * Trusts the certificates with these ids in {@code store}, as Nova's trusted certificate ids
     * (a server's {@code trusted_certs} or {@code default_trusted_certificate_ids}) name them in
     * the key manager. As in cursive, an id the store cannot deliver is skipped with a warning:
     * that only narrows what is trusted, and if nothing is left every chain is refused.
     *
     * @param store where the trusted certificates are
     * @param certificateIds their ids
     * @return the policy, requiring a chain to the certificates that were found
     */
    public static TrustPolicy trusting(CertificateStore store, Collection<String> certificateIds) {
        Objects.requireNonNull(store, "store");
        List<X509Certificate> parsed = new ArrayList<>(certificateIds.size());
        for (String id : certificateIds) {
            try {
                X509Certificate found = store.certificate(id);
                if (found == null) {
                    LOG.warn("skipping trusted certificate '{}': not found", UntrustedText.sanitize(id, 120));
                    continue;
                }
                parsed.add(BouncyCastle.reparse(found));
            } catch (SigningCertificateException refused) {
                LOG.warn("skipping trusted certificate '{}': {}", refused.certificateId(),
                        refused.reason().name().toLowerCase(Locale.ROOT).replace('_', ' '));
            } catch (SignatureVerificationException failed) {
                LOG.warn("skipping trusted certificate '{}': {}", UntrustedText.sanitize(id, 120), failed.getMessage());
            } catch (CertificateException unreadable) {
                LOG.warn("skipping trusted certificate '{}': it cannot be parsed", UntrustedText.sanitize(id, 120));
            }
        }
        if (parsed.isEmpty()) {
            LOG.warn("none of the {} trusted certificates could be loaded: every signing certificate will be refused",
                    certificateIds.size());
        }
        return new TrustPolicy(List.copyOf(parsed), true);
    }

    /**
     * The trusted certificates.
     *
     * @return the certificates given to or loaded by {@link #trusting}; empty for
     *     {@link #validityOnly()}
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
