package dev.diskimage.crypto;

import java.util.Optional;

/**
 * The hash an image signature was made with: the closed set of values the Glance property
 * {@code img_signature_hash_method} takes (cursive's {@code HASH_METHODS}). The image data is
 * hashed with it while it streams, and the signature is checked over that digest.
 */
public enum SignatureHashMethod {
    /** SHA-224 (FIPS 180-4), 28-byte digest. */
    SHA_224("SHA-224", "SHA224", 28),
    /** SHA-256 (FIPS 180-4), 32-byte digest. */
    SHA_256("SHA-256", "SHA256", 32),
    /** SHA-384 (FIPS 180-4), 48-byte digest. */
    SHA_384("SHA-384", "SHA384", 48),
    /** SHA-512 (FIPS 180-4), 64-byte digest. */
    SHA_512("SHA-512", "SHA512", 64);

    /** The value of {@code img_signature_hash_method}, e.g. {@code SHA-256}. */
    private final String propertyValue;
    /** The prefix of JCA signature algorithm names, e.g. {@code SHA256} in {@code SHA256withDSA}. */
    private final String jcaPrefix;
    /** Digest length in bytes: the {@code hLen} of RSA-PSS (RFC 8017, 9.1). */
    private final int digestLength;

    SignatureHashMethod(String propertyValue, String jcaPrefix, int digestLength) {
        this.propertyValue = propertyValue;
        this.jcaPrefix = jcaPrefix;
        this.digestLength = digestLength;
    }

    /**
     * The hash method a property value names, compared exactly as cursive does (so
     * {@code sha-256} is not {@code SHA-256}).
     *
     * @param value the value of {@code img_signature_hash_method}; may be null
     * @return the hash method, or empty when the value names none of the four
     */
    public static Optional<SignatureHashMethod> fromPropertyValue(String value) {
        for (SignatureHashMethod method : values()) {
            if (method.propertyValue.equals(value)) {
                return Optional.of(method);
            }
        }
        return Optional.empty();
    }

    /**
     * The value Glance stores in {@code img_signature_hash_method} for this hash.
     *
     * @return e.g. {@code SHA-256}
     */
    public String propertyValue() {
        return propertyValue;
    }

    /**
     * The JCA standard name of the digest, as {@link java.security.MessageDigest} and
     * {@link java.security.spec.MGF1ParameterSpec} name it.
     *
     * @return e.g. {@code SHA-256}
     */
    public String jcaDigestName() {
        return propertyValue;
    }

    /**
     * The digest length in bytes.
     *
     * @return 28, 32, 48 or 64
     */
    public int digestLength() {
        return digestLength;
    }

    String jcaPrefix() {
        return jcaPrefix;
    }
}
