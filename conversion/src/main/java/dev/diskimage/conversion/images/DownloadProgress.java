package dev.diskimage.conversion.images;

import dev.diskimage.core.service.ImageMeta;

/**
 * Hears how far a download has come, for progress bars and logs. Called on the downloading
 * thread after each chunk is written; must return quickly.
 */
@FunctionalInterface
public interface DownloadProgress {

    /** Hears nothing. */
    DownloadProgress NONE = (meta, bytes) -> {
    };

    /**
     * A chunk was written.
     *
     * @param meta the image's record; its {@code size} is the total, when stated
     * @param bytes the bytes written so far
     */
    void transferred(ImageMeta meta, long bytes);
}
