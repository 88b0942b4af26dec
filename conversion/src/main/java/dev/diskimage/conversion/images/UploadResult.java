package dev.diskimage.conversion.images;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.service.ImageDigests;
import dev.diskimage.core.service.ImageMeta;
import java.util.Objects;

/**
 * What {@link VolumeImages#uploadVolume} sent.
 *
 * @param meta the service's record after the upload, its hashes equal to {@code digests}
 * @param digests size and hashes of the bytes sent, computed while they were read
 * @param uploadedFormat the format of the bytes sent (the image's disk format)
 * @param converted whether the volume was converted before the upload
 */
public record UploadResult(ImageMeta meta, ImageDigests digests, DiskFormat uploadedFormat, boolean converted) {

    /** Checks the parts are present. */
    public UploadResult {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(digests, "digests");
        Objects.requireNonNull(uploadedFormat, "uploadedFormat");
    }
}
