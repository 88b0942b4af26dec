package dev.diskimage.catalog.templates;

import dev.diskimage.catalog.cache.Checksum;
import dev.diskimage.catalog.cache.ChecksumAlgorithm;
import dev.diskimage.core.UntrustedText;
import java.nio.charset.StandardCharsets;

/**
 * Reads a version's {@code .hash} file: lago writes the bare SHA-1 hex digest of the
 * (decompressed) image, so a bare digest is taken by its length (32 MD5, 40 SHA-1, 64 SHA-256,
 * 128 SHA-512); {@code algorithm:hex} names the algorithm, and a {@code sha1sum}-style line
 * ({@code hex  file name}) is read by its first word.
 */
final class HashText {
    /** Largest {@code .hash} file read, in bytes. */
    static final int MAX_BYTES = 4096;

    private HashText() {
    }

    /**
     * Parses the file's content.
     *
     * @param content the bytes of the {@code .hash} file
     * @return the checksum
     * @throws IllegalArgumentException if it is not one of the forms above; the message quotes it, sanitized
     */
    static Checksum parse(byte[] content) {
        String text = new String(content, StandardCharsets.UTF_8).strip();
        String first = text.split("\\s+", 2)[0];
        if (first.indexOf(':') > 0) {
            return Checksum.parse(first);
        }
        for (ChecksumAlgorithm algorithm : ChecksumAlgorithm.values()) {
            if (first.length() == algorithm.digestBytes() * 2) {
                return new Checksum(algorithm, first);
            }
        }
        throw new IllegalArgumentException("not a hex digest of 32, 40, 64 or 128 digits, nor algorithm:hex: '"
                + UntrustedText.sanitize(text, 200) + "'");
    }
}
