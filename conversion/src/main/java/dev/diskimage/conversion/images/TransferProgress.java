package dev.diskimage.conversion.images;

import dev.diskimage.core.service.ImageMeta;
import java.util.OptionalLong;

/**
 * Hears how far a download or an upload has come, for progress bars and logs. Called on the
 * transferring thread after each chunk; must return quickly.
 */
@FunctionalInterface
public interface TransferProgress {

    /** Hears nothing. */
    TransferProgress NONE = (meta, bytes, total) -> {
    };

    /**
     * A chunk was transferred.
     *
     * @param meta the image's record
     * @param bytes the bytes transferred so far
     * @param total the bytes the whole transfer holds, when known
     */
    void transferred(ImageMeta meta, long bytes, OptionalLong total);
}
