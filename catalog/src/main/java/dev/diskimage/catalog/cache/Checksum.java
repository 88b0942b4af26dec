package dev.diskimage.catalog.cache;

import dev.diskimage.core.UntrustedText;
import java.util.Locale;
import java.util.Objects;

/**
 * An expected digest of an image's stored bytes.
 *
 * @param algorithm the digest algorithm
 * @param hex the digest in lower-case hexadecimal, exactly as long as the algorithm's digest
 */
public record Checksum(ChecksumAlgorithm algorithm, String hex) {

    /**
     * Checks the digest's length and characters and folds it to lower case.
     *
     * @throws IllegalArgumentException if {@code hex} is not a digest of {@code algorithm}
     */
    public Checksum {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(hex, "hex");
        String folded = hex.toLowerCase(Locale.ROOT);
        if (folded.length() != algorithm.digestBytes() * 2 || !folded.chars().allMatch(Checksum::isHexDigit)) {
            throw new IllegalArgumentException("not a " + algorithm.label() + " digest ("
                    + algorithm.digestBytes() * 2 + " hexadecimal digits): '" + UntrustedText.sanitize(hex, 200) + "'");
        }
        hex = folded;
    }

    /**
     * Parses {@code algorithm:hex}, e.g. {@code sha256:9f86d0...}; the algorithm is named as
     * {@link ChecksumAlgorithm#fromName(String)} accepts it.
     *
     * @param text the checksum
     * @return the checksum
     * @throws IllegalArgumentException if there is no colon, the algorithm is unknown or the
     *     digest does not fit it
     */
    public static Checksum parse(String text) {
        Objects.requireNonNull(text, "text");
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("a checksum is algorithm:hex (e.g. sha256:...), not '"
                    + UntrustedText.sanitize(text, 200) + "'");
        }
        return new Checksum(ChecksumAlgorithm.fromName(text.substring(0, colon)), text.substring(colon + 1).trim());
    }

    /**
     * The checksum as {@link #parse(String)} reads it.
     *
     * @return {@code algorithm:hex}
     */
    @Override
    public String toString() {
        return algorithm.label() + ":" + hex;
    }

    private static boolean isHexDigit(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
}
