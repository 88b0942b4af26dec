package dev.diskimage.crypto;

import dev.diskimage.core.SignatureVerificationException;
import dev.diskimage.core.UntrustedText;
import java.util.Locale;
import java.util.Objects;

/**
 * The certificate an image signature names cannot be used to verify it: it is not in the
 * {@link CertificateStore}, cannot be read, is outside its validity period, holds the wrong
 * kind of key, or does not chain to a trusted certificate as cursive's certificate checks
 * require. Thrown by {@link ImageSignatureVerifier#prepare} before any image data is read, and
 * by {@link CertificateStore} implementations.
 */
public final class SigningCertificateException extends SignatureVerificationException {
    private static final long serialVersionUID = 1L;

    /** Longest certificate id or image name quoted in a message. */
    private static final int MAX_QUOTED = 120;

    /** Why the certificate was refused. */
    public enum Reason {
        /** The store has no certificate with this id. */
        NOT_FOUND,
        /** The id is not one the store accepts (the directory store: a plain UUID only). */
        INVALID_ID,
        /** The store has the certificate but it could not be read or parsed. */
        UNREADABLE,
        /** The signing certificate's validity period has not begun. */
        NOT_YET_VALID,
        /** The signing certificate's validity period has ended. */
        EXPIRED,
        /** The certificate's public key is not of the key type (or curve) the image names. */
        KEY_TYPE_MISMATCH,
        /** No chain of trusted certificates leads from the certificate to a trusted root. */
        UNTRUSTED,
        /** A certificate that issued one in the chain is outside its validity period. */
        ISSUER_NOT_VALID_NOW,
        /**
         * A certificate that issued one in the chain is not a CA (basic constraints) or may not
         * sign certificates (key usage keyCertSign).
         */
        ISSUER_NOT_A_CA,
        /** A certificate in the chain has a path length constraint the chain exceeds. */
        PATH_LENGTH_EXCEEDED
    }

    /** Why the certificate was refused. */
    private final Reason reason;
    /** The id the image names, sanitized. */
    private final String certificateId;
    /** What went wrong, without the image and certificate names. */
    private final String detail;

    /**
     * Creates the error a {@link CertificateStore} throws; {@link ImageSignatureVerifier}
     * re-throws it naming the image.
     *
     * @param reason why the certificate cannot be used, usually {@link Reason#NOT_FOUND},
     *     {@link Reason#INVALID_ID} or {@link Reason#UNREADABLE}
     * @param certificateId the id asked for, as the image names it; sanitized here
     * @param detail what went wrong, in words for the operator; never key material
     * @param cause the underlying error; may be null
     */
    public SigningCertificateException(Reason reason, String certificateId, String detail, Throwable cause) {
        this(null, reason, certificateId, detail, cause);
    }

    SigningCertificateException(String imageName, Reason reason, String certificateId, String detail,
            Throwable cause) {
        super(message(imageName, reason, certificateId, detail), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.certificateId = UntrustedText.sanitize(Objects.requireNonNull(certificateId, "certificateId"), MAX_QUOTED);
        this.detail = detail;
    }

    private static String message(String imageName, Reason reason, String certificateId, String detail) {
        String prefix = imageName == null ? "" : "image '" + UntrustedText.sanitize(imageName, MAX_QUOTED) + "': ";
        return prefix + "signing certificate '" + UntrustedText.sanitize(certificateId, MAX_QUOTED) + "' "
                + reason.name().toLowerCase(Locale.ROOT).replace('_', ' ') + ": " + detail;
    }

    /** The same refusal, with a message that names the image (the store does not know it). */
    SigningCertificateException forImage(String imageName) {
        return new SigningCertificateException(imageName, reason, certificateId, detail, this);
    }

    /**
     * Why the certificate was refused.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }

    /**
     * The certificate id the image names.
     *
     * @return the id, control characters escaped
     */
    public String certificateId() {
        return certificateId;
    }
}
