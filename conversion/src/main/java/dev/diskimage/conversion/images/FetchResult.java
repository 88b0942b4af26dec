package dev.diskimage.conversion.images;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.service.ImageMeta;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What {@link VolumeImages#fetchToVolumeFormat} wrote.
 *
 * @param meta the service's record the data was verified against
 * @param destination the file or block device written
 * @param imageFormat the image's format, as the validator detected it
 * @param volumeFormat the format written to the destination
 * @param virtualSize the image's virtual size in bytes
 * @param streamedDirectly true when a raw image went straight to the destination, hashed and
 *     validated on the way, with no temporary file; false when it was downloaded and converted
 */
public record FetchResult(ImageMeta meta, Path destination, DiskFormat imageFormat, DiskFormat volumeFormat,
        long virtualSize, boolean streamedDirectly) {

    /** Checks the parts are present. */
    public FetchResult {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(imageFormat, "imageFormat");
        Objects.requireNonNull(volumeFormat, "volumeFormat");
    }
}
