package dev.diskimage.catalog.cache;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Objects;

/**
 * The digests a distro's checksum file or a caller may name for a download. MD5 and SHA-1 are
 * accepted because older mirrors publish nothing else (CirrOS {@code MD5SUMS}); they detect
 * corruption, not tampering.
 */
public enum ChecksumAlgorithm {
    /** MD5 (128 bits). */
    MD5("md5", "MD5", 16),
    /** SHA-1 (160 bits). */
    SHA1("sha1", "SHA-1", 20),
    /** SHA-256. */
    SHA256("sha256", "SHA-256", 32),
    /** SHA-512. */
    SHA512("sha512", "SHA-512", 64);

    private final String label;
    private final String jdkName;
    private final int digestBytes;

    ChecksumAlgorithm(String label, String jdkName, int digestBytes) {
        this.label = label;
        this.jdkName = jdkName;
        this.digestBytes = digestBytes;
    }

    /**
     * The algorithm a name means, spelled as tools spell it: {@code sha256}, {@code SHA-256},
     * {@code sha_256}, {@code SHA256SUM} are all SHA-256.
     *
     * @param name the name (case, dashes and underscores are ignored, and a trailing {@code sum})
     * @return the algorithm
     * @throws IllegalArgumentException for any other name
     */
    public static ChecksumAlgorithm fromName(String name) {
        Objects.requireNonNull(name, "name");
        String key = name.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
        if (key.endsWith("sums")) {
            key = key.substring(0, key.length() - 4);
        } else if (key.endsWith("sum")) {
            key = key.substring(0, key.length() - 3);
        }
        for (ChecksumAlgorithm algorithm : values()) {
            if (algorithm.label.equals(key)) {
                return algorithm;
            }
        }
        throw new IllegalArgumentException("unknown checksum algorithm '"
                + dev.diskimage.core.UntrustedText.sanitize(name, 64) + "'; known: md5, sha1, sha256, sha512");
    }

    /**
     * The lower-case name used in {@code algorithm:hex} strings.
     *
     * @return e.g. {@code sha256}
     */
    public String label() {
        return label;
    }

    /**
     * The digest's length.
     *
     * @return bytes in one digest
     */
    public int digestBytes() {
        return digestBytes;
    }

    /**
     * A fresh digest of this algorithm.
     *
     * @return the digest
     */
    public MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance(jdkName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no " + jdkName + " digest", e);
        }
    }
}
