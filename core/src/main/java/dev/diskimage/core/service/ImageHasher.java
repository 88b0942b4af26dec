package dev.diskimage.core.service;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Hashes an image's bytes as they pass, once, for both of Glance's hashes: the MD5
 * {@code checksum} and the {@code os_hash_algo} multihash.
 *
 * <p>The two digests of a large chunk are computed at the same time, the multihash on a helper
 * thread: each runs at about the same speed, so a download is hashed in the time of one digest,
 * not two. {@link #update(byte[], int, int)} returns when both are done, so the caller may reuse
 * its buffer. Not thread-safe: one pass, one caller.
 */
public final class ImageHasher {
    /** Chunks from this size up are hashed on two threads; smaller ones are not worth a hand-off. */
    static final int PARALLEL_THRESHOLD = 64 << 10;
    private static final ExecutorService HELPERS = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "diskimage-hasher");
        thread.setDaemon(true);
        return thread;
    });

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
        if (length >= PARALLEL_THRESHOLD) {
            Future<?> other = HELPERS.submit(() -> multihash.update(bytes, offset, length));
            md5.update(bytes, offset, length);
            awaitHelper(other);
        } else {
            md5.update(bytes, offset, length);
            multihash.update(bytes, offset, length);
        }
        size += length;
    }

    private static void awaitHelper(Future<?> helper) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    helper.get();
                    return;
                } catch (InterruptedException e) {
                    // The helper is using the caller's buffer: wait for it whatever happens.
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("hashing failed", e.getCause());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
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
