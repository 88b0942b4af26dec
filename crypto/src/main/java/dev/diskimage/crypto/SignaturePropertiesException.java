package dev.diskimage.crypto;

import dev.diskimage.core.SignatureVerificationException;
import java.util.List;
import java.util.Objects;

/**
 * An image's signature properties cannot be used: some but not all four are set, the signature
 * is not base64, or the hash method or key type is not one cursive knows. Says which property
 * is at fault, so that the image's owner knows what to fix; an image with none of the four is
 * not an error but unsigned ({@link ImageSignature#fromProperties}).
 */
public final class SignaturePropertiesException extends SignatureVerificationException {
    private static final long serialVersionUID = 1L;

    /** What is wrong with the properties. */
    public enum Problem {
        /** Some of the four properties are set and others are missing. */
        INCOMPLETE,
        /** {@code img_signature} is empty, too long, or not standard base64 with padding. */
        MALFORMED_SIGNATURE,
        /** {@code img_signature_hash_method} names no supported hash. */
        UNKNOWN_HASH_METHOD,
        /** {@code img_signature_key_type} names no supported key type. */
        UNKNOWN_KEY_TYPE,
        /** {@code img_signature_certificate_uuid} is empty, too long or holds control characters. */
        MALFORMED_CERTIFICATE_ID
    }

    /** What is wrong. */
    private final Problem problem;
    /** The names of the properties at fault. */
    private final List<String> properties;

    SignaturePropertiesException(Problem problem, List<String> properties, String message) {
        super(message);
        this.problem = Objects.requireNonNull(problem, "problem");
        this.properties = List.copyOf(properties);
    }

    /**
     * What is wrong with the properties.
     *
     * @return the problem
     */
    public Problem problem() {
        return problem;
    }

    /**
     * The properties at fault: the missing ones for {@link Problem#INCOMPLETE}, otherwise the
     * one whose value was refused.
     *
     * @return property names such as {@code img_signature_key_type}, in the order Glance
     *     documents them
     */
    public List<String> properties() {
        return properties;
    }
}
