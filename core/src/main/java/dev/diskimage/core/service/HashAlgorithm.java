package dev.diskimage.core.service;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Optional;

/**
 * The multihash algorithms an image's {@code os_hash_algo} may name (Glance's names, which are
 * Python hashlib's), with the JDK digest behind each. Glance's default is {@code sha512}.
 */
public enum HashAlgorithm {
    /** SHA-224. */
    SHA224("sha224", "SHA-224"),
    /** SHA-256. */
    SHA256("sha256", "SHA-256"),
    /** SHA-384. */
    SHA384("sha384", "SHA-384"),
    /** SHA-512, Glance's default. */
    SHA512("sha512", "SHA-512"),
    /** SHA-512/224. */
    SHA512_224("sha512_224", "SHA-512/224"),
    /** SHA-512/256. */
    SHA512_256("sha512_256", "SHA-512/256"),
    /** SHA3-224. */
    SHA3_224("sha3_224", "SHA3-224"),
    /** SHA3-256. */
    SHA3_256("sha3_256", "SHA3-256"),
    /** SHA3-384. */
    SHA3_384("sha3_384", "SHA3-384"),
    /** SHA3-512. */
    SHA3_512("sha3_512", "SHA3-512");

    private final String serviceName;
    private final String jdkName;

    HashAlgorithm(String serviceName, String jdkName) {
        this.serviceName = serviceName;
        this.jdkName = jdkName;
    }

    /**
     * The algorithm a service names.
     *
     * @param name e.g. {@code sha512} (case is ignored)
     * @return the algorithm, empty for a name this project cannot check (md5 and sha1 are not
     *     accepted as a multihash: they do not resist a chosen collision)
     */
    public static Optional<HashAlgorithm> fromName(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        for (HashAlgorithm algorithm : values()) {
            if (algorithm.serviceName.equals(wanted)) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }

    /**
     * The name services use.
     *
     * @return e.g. {@code sha512}
     */
    public String serviceName() {
        return serviceName;
    }

    /**
     * A fresh digest of this algorithm.
     *
     * @return the digest
     */
    public MessageDigest newDigest() {
        return digest(jdkName);
    }

    static MessageDigest digest(String jdkName) {
        try {
            return MessageDigest.getInstance(jdkName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no " + jdkName + " digest", e);
        }
    }
}
