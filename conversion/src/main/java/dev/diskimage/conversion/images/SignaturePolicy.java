package dev.diskimage.conversion.images;

import dev.diskimage.core.SignatureVerificationException;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.crypto.CertificateStore;
import dev.diskimage.crypto.ImageSignature;
import dev.diskimage.crypto.ImageSignatureVerifier;
import dev.diskimage.crypto.TrustPolicy;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;

/**
 * How downloads treat image signatures (Glance's {@code img_signature*} properties, checked as
 * cursive checks them): where signing certificates come from, which roots are trusted, and
 * whether an unsigned image is accepted (Nova's {@code verify_glance_signatures}).
 *
 * <p>A signed image's certificate is checked before its download starts; its signature is
 * checked over the bytes in the download's single pass. A partial set of signature properties
 * is always refused: dropping one never makes a signed image unsigned.
 *
 * @param certificates where signing certificates are found by id
 * @param trust which roots a signing certificate must chain to, or validity dates only
 * @param clock the time certificates are checked at
 * @param requireSigned whether an image without signature properties is refused
 */
public record SignaturePolicy(CertificateStore certificates, TrustPolicy trust, Clock clock, boolean requireSigned) {

    /** Checks the parts are present. */
    public SignaturePolicy {
        Objects.requireNonNull(certificates, "certificates");
        Objects.requireNonNull(trust, "trust");
        Objects.requireNonNull(clock, "clock");
    }

    /**
     * The check for one image, prepared before its download.
     *
     * @param meta the image's record
     * @return the check, empty for an unsigned image the policy accepts
     * @throws SignatureVerificationException for an unsigned image the policy refuses, malformed
     *     or partial signature properties, or a certificate that is missing, expired or untrusted
     */
    Optional<StreamCheck> checkFor(ImageMeta meta) {
        Optional<ImageSignature> signature = ImageSignature.fromProperties(meta.properties());
        if (signature.isEmpty()) {
            if (requireSigned) {
                throw new SignatureVerificationException("image " + meta.describe()
                        + " is not signed (no img_signature properties), and only signed images are accepted");
            }
            return Optional.empty();
        }
        ImageSignatureVerifier verifier = ImageSignatureVerifier.prepare(meta.describe(), signature.get(), certificates,
                trust, clock);
        return Optional.of(new StreamCheck() {
            @Override
            public void update(byte[] bytes, int offset, int length) {
                verifier.update(bytes, offset, length);
            }

            @Override
            public void finish() {
                verifier.verify();
            }
        });
    }
}
