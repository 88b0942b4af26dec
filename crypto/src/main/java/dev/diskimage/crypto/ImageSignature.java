package dev.diskimage.crypto;

import dev.diskimage.core.UntrustedText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An image's signature as Glance stores it in four image properties (the set cursive, Nova,
 * Cinder and Glance read): the signature itself, the hash the image data was hashed with, the
 * kind of key that signed it, and the id of the signing certificate in the key manager. The
 * signature is over the image data itself: the bytes, hashed with {@link #hashMethod()}, signed
 * with the certificate's key.
 *
 * <p>All four properties or none: {@link #fromProperties} says "unsigned" for none, and refuses
 * a partial set, as Cinder does, so that dropping one property cannot turn a signed image into
 * an unsigned one unnoticed. Whether an unsigned image is acceptable is the caller's policy.
 *
 * @param signature the decoded signature bytes (copied in and out)
 * @param hashMethod the hash of {@code img_signature_hash_method}
 * @param keyType the key type of {@code img_signature_key_type}
 * @param certificateId the value of {@code img_signature_certificate_uuid}: the signing
 *     certificate's id in the {@link CertificateStore}
 */
public record ImageSignature(byte[] signature, SignatureHashMethod hashMethod, SignatureKeyType keyType,
        String certificateId) {
    /** Property holding the base64-encoded signature. */
    public static final String SIGNATURE = "img_signature";
    /** Property naming the hash method, e.g. {@code SHA-256}. */
    public static final String HASH_METHOD = "img_signature_hash_method";
    /** Property naming the key type, e.g. {@code RSA-PSS}. */
    public static final String KEY_TYPE = "img_signature_key_type";
    /** Property holding the signing certificate's id (a UUID in Barbican). */
    public static final String CERTIFICATE_UUID = "img_signature_certificate_uuid";

    /** The four properties, in the order Glance documents them. */
    private static final List<String> PROPERTIES = List.of(SIGNATURE, HASH_METHOD, KEY_TYPE, CERTIFICATE_UUID);
    /**
     * Longest accepted {@code img_signature}, in characters: 16 KiB of base64 is 12 KiB of
     * signature, six times what a 16384-bit RSA key produces.
     */
    private static final int MAX_SIGNATURE_CHARS = 16 * 1024;
    /** Longest accepted certificate id; Barbican's are 36-character UUIDs. */
    private static final int MAX_CERTIFICATE_ID_CHARS = 255;
    /** How much of a refused value an error message quotes. */
    private static final int MAX_QUOTED = 80;

    /**
     * Checks the components and copies the signature.
     *
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if the signature is empty or the certificate id empty,
     *     longer than 255 characters or holding control characters
     */
    public ImageSignature {
        signature = Objects.requireNonNull(signature, "signature").clone();
        Objects.requireNonNull(hashMethod, "hashMethod");
        Objects.requireNonNull(keyType, "keyType");
        Objects.requireNonNull(certificateId, "certificateId");
        if (signature.length == 0) {
            throw new IllegalArgumentException("the signature is empty");
        }
        if (!acceptableCertificateId(certificateId)) {
            throw new IllegalArgumentException("the certificate id is empty, too long or holds control characters: '"
                    + UntrustedText.sanitize(certificateId, MAX_QUOTED) + "'");
        }
    }

    /**
     * Reads the signature properties of an image, as Glance returns them.
     *
     * @param properties the image's properties; other keys are ignored, and a key mapped to
     *     null counts as missing
     * @return the signature, or empty when none of the four properties is set (an unsigned
     *     image)
     * @throws SignaturePropertiesException if some but not all four are set
     *     ({@link SignaturePropertiesException.Problem#INCOMPLETE}, naming the missing ones),
     *     the signature is not base64, or the hash method, key type or certificate id is not
     *     acceptable; the problem names which
     */
    public static Optional<ImageSignature> fromProperties(Map<String, String> properties) {
        Objects.requireNonNull(properties, "properties");
        List<String> missing = new ArrayList<>();
        for (String name : PROPERTIES) {
            if (properties.get(name) == null) {
                missing.add(name);
            }
        }
        if (missing.size() == PROPERTIES.size()) {
            return Optional.empty();
        }
        if (!missing.isEmpty()) {
            throw new SignaturePropertiesException(SignaturePropertiesException.Problem.INCOMPLETE, missing,
                    "image signature properties are incomplete: missing " + String.join(", ", missing)
                            + " (a signed image needs all of " + String.join(", ", PROPERTIES) + ")");
        }
        byte[] signature = decodeSignature(properties.get(SIGNATURE));
        String hashValue = properties.get(HASH_METHOD);
        SignatureHashMethod hash = SignatureHashMethod.fromPropertyValue(hashValue)
                .orElseThrow(() -> refused(SignaturePropertiesException.Problem.UNKNOWN_HASH_METHOD, HASH_METHOD,
                        "unknown hash method '" + UntrustedText.sanitize(hashValue, MAX_QUOTED)
                                + "' (supported: SHA-224, SHA-256, SHA-384, SHA-512)"));
        String keyValue = properties.get(KEY_TYPE);
        SignatureKeyType keyType = SignatureKeyType.fromPropertyValue(keyValue)
                .orElseThrow(() -> refused(SignaturePropertiesException.Problem.UNKNOWN_KEY_TYPE, KEY_TYPE,
                        "unknown key type '" + UntrustedText.sanitize(keyValue, MAX_QUOTED) + "'"));
        String certificateId = properties.get(CERTIFICATE_UUID);
        if (!acceptableCertificateId(certificateId)) {
            throw refused(SignaturePropertiesException.Problem.MALFORMED_CERTIFICATE_ID, CERTIFICATE_UUID,
                    "certificate id '" + UntrustedText.sanitize(certificateId, MAX_QUOTED)
                            + "' is empty, too long or holds control characters");
        }
        return Optional.of(new ImageSignature(signature, hash, keyType, certificateId));
    }

    /**
     * The properties that carry this signature, as {@link #fromProperties} reads them.
     *
     * @return a map of the four properties, the signature base64-encoded
     */
    public Map<String, String> toProperties() {
        return Map.of(SIGNATURE, Base64.getEncoder().encodeToString(signature), HASH_METHOD,
                hashMethod.propertyValue(), KEY_TYPE, keyType.propertyValue(), CERTIFICATE_UUID, certificateId);
    }

    /**
     * The decoded signature bytes.
     *
     * @return a copy of the signature
     */
    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /**
     * Equal when all four components are, the signature compared by content.
     *
     * @param other the object to compare with
     * @return whether {@code other} is the same signature
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof ImageSignature that && Arrays.equals(signature, that.signature)
                && hashMethod == that.hashMethod && keyType == that.keyType
                && certificateId.equals(that.certificateId);
    }

    /**
     * A hash of all four components, the signature by content.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(signature), hashMethod, keyType, certificateId);
    }

    /**
     * Names the hash, key type, certificate and signature length; not the signature bytes.
     *
     * @return e.g. {@code ImageSignature[SHA-256, RSA-PSS, certificate=..., 256 bytes]}
     */
    @Override
    public String toString() {
        return "ImageSignature[" + hashMethod.propertyValue() + ", " + keyType.propertyValue() + ", certificate="
                + UntrustedText.sanitize(certificateId, MAX_QUOTED) + ", " + signature.length + " bytes]";
    }

    /**
     * Decodes standard base64 with padding, as Python's {@code b64decode} requires; line breaks
     * and spaces (as {@code base64} and {@code openssl base64} wrap their output) are skipped.
     */
    private static byte[] decodeSignature(String text) {
        if (text.length() > MAX_SIGNATURE_CHARS) {
            throw refused(SignaturePropertiesException.Problem.MALFORMED_SIGNATURE, SIGNATURE,
                    "the signature is longer than " + MAX_SIGNATURE_CHARS + " characters");
        }
        StringBuilder compact = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                compact.append(c);
            }
        }
        if (compact.length() == 0 || compact.length() % 4 != 0) {
            throw refused(SignaturePropertiesException.Problem.MALFORMED_SIGNATURE, SIGNATURE,
                    compact.length() == 0 ? "the signature is empty"
                            : "the signature is not base64 (its length is not a multiple of 4)");
        }
        try {
            return Base64.getDecoder().decode(compact.toString());
        } catch (IllegalArgumentException notBase64) {
            throw refused(SignaturePropertiesException.Problem.MALFORMED_SIGNATURE, SIGNATURE,
                    "the signature is not base64 (a character outside the base64 alphabet or misplaced padding)");
        }
    }

    private static boolean acceptableCertificateId(String id) {
        return id != null && !id.isEmpty() && id.length() <= MAX_CERTIFICATE_ID_CHARS
                && id.equals(UntrustedText.sanitize(id, MAX_CERTIFICATE_ID_CHARS + UntrustedText.MIN_CAP));
    }

    private static SignaturePropertiesException refused(SignaturePropertiesException.Problem problem, String property,
            String reason) {
        return new SignaturePropertiesException(problem, List.of(property), "image signature property " + property
                + ": " + reason);
    }
}
