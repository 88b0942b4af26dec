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
     * The most decompressed bytes {@link #xz()} lets through: 1 TiB, more than any disk image
     * published for download, far less than an xz bomb expands to.
     */
    long DEFAULT_MAX_DECODED_BYTES = 1L << 40;

    /**
     * Decompresses xz, with at most 256 MiB of decoder memory and at most
     * {@link #DEFAULT_MAX_DECODED_BYTES} decompressed bytes.
     *
     * @return the decoder
     */
    static StreamDecoder xz() {
        return xz(DEFAULT_MAX_DECODED_BYTES);
    }

    /**
     * Decompresses xz, with at most 256 MiB of decoder memory (a stream made with a larger
     * dictionary is refused) and at most {@code maxBytes} decompressed bytes: reading more is an
     * {@link IOException} naming the limit, so a small download cannot fill the disk.
     *
     * @param maxBytes the most decompressed bytes allowed
     * @return the decoder
     */
    static StreamDecoder xz(long maxBytes) {
        return raw -> XzDecoding.decode(raw, maxBytes);
    }

    /**
     * Stores the bytes as they arrive, but at most {@code maxBytes} of them: reading more is an
     * {@link IOException} naming the limit.
     *
     * @param maxBytes the most bytes allowed
     * @return the decoder
     */
    static StreamDecoder capped(long maxBytes) {
        return raw -> XzDecoding.capped(raw, maxBytes);
    }

    /**
     * Wraps the downloaded stream.
     *
     * @param raw the downloaded bytes
     * @return the bytes to store; closing it closes {@code raw}
     * @throws IOException if the stream cannot be set up (e.g. a bad header)
     */
    InputStream decode(InputStream raw) throws IOException;
}
