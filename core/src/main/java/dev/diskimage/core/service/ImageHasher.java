package dev.diskimage.core.service;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Hashes an image's bytes as they pass, once, for both of Glance's hashes: the MD5
 * {@code checksum} and the {@code os_hash_algo} multihash. Not thread-safe: one pass, one
 * thread.
 */
public final class ImageHasher {

    private final MessageDigest md5 = HashAlgorithm.digest("MD5");
    private final HashAlgorithm algorithm;
    private final MessageDigest multihash;
    private long size;

    private ImageHasher(HashAlgorithm algorithm) {
        this.algorithm = algorithm;
        this.multihash = algorithm.newDigest();
    }

    /**
     * A hasher for the multihash algorithm a record names.
     *
     * @param meta the service's record; its {@code os_hash_algo}, {@code sha512} when it names none
     * @return the hasher
     * @throws ImageIntegrityException if the record names an algorithm that cannot be checked
     */
    public static ImageHasher forImage(ImageMeta meta) {
        Optional<String> named = meta.osHashAlgo();
        if (named.isEmpty()) {
            return new ImageHasher(HashAlgorithm.SHA512);
        }
        return new ImageHasher(HashAlgorithm.fromName(named.get()).orElseThrow(() -> new ImageIntegrityException(
                "image " + meta.describe() + ": os_hash_algo " + named.get() + " is not an algorithm this project checks")));
    }

    /**
     * A hasher for one algorithm.
     *
     * @param algorithm the multihash algorithm
     * @return the hasher
     */
    public static ImageHasher of(HashAlgorithm algorithm) {
        return new ImageHasher(algorithm);
    }

    /**
     * Adds bytes.
     *
     * @param bytes the array
     * @param offset where the bytes start
     * @param length how many
     */
    public void update(byte[] bytes, int offset, int length) {
        md5.update(bytes, offset, length);
        multihash.update(bytes, offset, length);
        size += length;
    }

    /**
     * Adds the remaining bytes of a buffer, leaving its position at its limit.
     *
     * @param buffer the bytes
     */
    public void update(ByteBuffer buffer) {
        int length = buffer.remaining();
        ByteBuffer copy = buffer.duplicate();
        md5.update(copy);
        multihash.update(buffer);
        size += length;
    }

    /**
     * The number of bytes seen so far.
     *
     * @return the count
     */
    public long size() {
        return size;
    }

    /**
     * Finishes the pass.
     *
     * @return the size and both hashes; the hasher cannot be used after this
     */
    public ImageDigests digests() {
        HexFormat hex = HexFormat.of();
        return new ImageDigests(size, hex.formatHex(md5.digest()), algorithm, hex.formatHex(multihash.digest()));
    }
}
