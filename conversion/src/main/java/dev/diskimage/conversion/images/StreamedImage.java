package dev.diskimage.conversion.images;

import dev.diskimage.core.service.ImageDigests;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.validation.ValidationReport;
import java.util.Objects;

/**
 * What one verified pass over an image's data found: the service's record, the digests of the
 * bytes that arrived (equal to the record's) and the validator's verdict on them (accepted).
 *
 * @param meta the service's record the bytes were checked against
 * @param digests size and hashes of the bytes
 * @param report the validator's report on the stream
 */
public record StreamedImage(ImageMeta meta, ImageDigests digests, ValidationReport report) {

    /** Checks the parts are present. */
    public StreamedImage {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(digests, "digests");
        Objects.requireNonNull(report, "report");
    }
}
