package dev.diskimage.core.service;

import java.util.Objects;
import java.util.Optional;

/**
 * The size and hashes of an image's bytes as this side computed them, and the check of a
 * service's record against them.
 *
 * @param size the number of bytes
 * @param md5 the MD5 as lower-case hex (Glance's {@code checksum})
 * @param algorithm the multihash algorithm
 * @param multihash the multihash as lower-case hex (Glance's {@code os_hash_value})
 */
public record ImageDigests(long size, String md5, HashAlgorithm algorithm, String multihash) {

    /** Validates the parts. */
    public ImageDigests {
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
        Objects.requireNonNull(md5, "md5");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(multihash, "multihash");
    }

    /**
     * Checks a service's record against these digests: every value the record states must
     * match. A record without hashes at all cannot be verified and is refused, unless the
     * caller allows that explicitly (some services, e.g. a plain directory, keep no hashes).
     *
     * @param meta the service's record
     * @param allowUnhashed whether a record with neither checksum nor multihash is accepted
     * @throws ImageIntegrityException naming the image and the first value that differs
     */
    public void verify(ImageMeta meta, boolean allowUnhashed) {
        String image = meta.describe();
        if (meta.size().isPresent() && meta.size().getAsLong() != size) {
            throw new ImageIntegrityException("image " + image + ": the service says " + meta.size().getAsLong()
                    + " bytes, but " + size + " bytes arrived");
        }
        Optional<String> checksum = meta.checksum();
        if (checksum.isPresent() && !checksum.get().equalsIgnoreCase(md5)) {
            throw new ImageIntegrityException("image " + image + ": checksum (md5) mismatch: the service says "
                    + checksum.get() + ", the data has " + md5);
        }
        Optional<String> value = meta.osHashValue();
        if (value.isPresent()) {
            String named = meta.osHashAlgo().orElse(HashAlgorithm.SHA512.serviceName());
            if (!named.equalsIgnoreCase(algorithm.serviceName())) {
                throw new ImageIntegrityException("image " + image + ": the multihash was computed with "
                        + algorithm.serviceName() + " but the service names " + named);
            }
            if (!value.get().equalsIgnoreCase(multihash)) {
                throw new ImageIntegrityException("image " + image + ": multihash (" + named
                        + ") mismatch: the service says " + value.get() + ", the data has " + multihash);
            }
        }
        if (checksum.isEmpty() && value.isEmpty() && !allowUnhashed) {
            throw new ImageIntegrityException("image " + image
                    + ": the service states neither a checksum nor a multihash, so the data cannot be verified");
        }
    }
}
