package dev.diskimage.catalog.cache;

import java.io.IOException;

/**
 * Where a cache entry's bytes come from. The default is an HTTP(S) GET of the request's URL (or
 * reading a {@code file:} URL); template repositories and tests give their own.
 */
@FunctionalInterface
public interface ByteSource {

    /**
     * Opens the bytes; called once per download attempt, while the entry's lock is held.
     *
     * @return the stream and its length, if known
     * @throws IOException if the source cannot be opened; a
     *     {@link dev.diskimage.core.ImageException} thrown instead travels to the caller as is
     *     (e.g. {@link dev.diskimage.core.ImageNotFoundException})
     */
    Download open() throws IOException;
}
