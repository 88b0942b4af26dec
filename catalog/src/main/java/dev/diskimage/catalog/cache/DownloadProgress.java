package dev.diskimage.catalog.cache;

import java.util.OptionalLong;

/**
 * Hears how a download advances: once when it starts (0 bytes), after each piece written, and
 * once at the end. Called on the downloading thread; a listener must be quick. Rate and time
 * left follow from successive calls ({@link TransferMeter} computes them).
 */
@FunctionalInterface
public interface DownloadProgress {

    /** Hears nothing. */
    DownloadProgress NONE = (name, bytes, total) -> {
    };

    /**
     * Reports the bytes received so far.
     *
     * @param name the file being downloaded (the entry's file name)
     * @param bytes bytes received from the source so far (before any decoder)
     * @param total the source's length, when it said
     */
    void transferred(String name, long bytes, OptionalLong total);
}
