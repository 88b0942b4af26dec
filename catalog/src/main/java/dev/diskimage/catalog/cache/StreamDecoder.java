package dev.diskimage.catalog.cache;

import java.io.IOException;
import java.io.InputStream;

/**
 * Turns downloaded bytes into the bytes stored in the cache, e.g. xz decompression of a
 * template's {@code .xz} handle. The stored (decoded) bytes are what the checksum and the gate
 * see.
 */
@FunctionalInterface
public interface StreamDecoder {

    /** Stores the bytes as they arrive. */
    StreamDecoder IDENTITY = raw -> raw;

    /**
     * Wraps the downloaded stream.
     *
     * @param raw the downloaded bytes
     * @return the bytes to store; closing it closes {@code raw}
     * @throws IOException if the stream cannot be set up (e.g. a bad header)
     */
    InputStream decode(InputStream raw) throws IOException;
}
