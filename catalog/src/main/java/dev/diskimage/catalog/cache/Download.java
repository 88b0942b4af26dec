package dev.diskimage.catalog.cache;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * An opened source of an image's bytes: the stream and, when the source says, its length (used
 * for the free-space check, the progress total and to detect a short body).
 *
 * @param stream the bytes; closed by {@link #close()}
 * @param length the number of bytes the stream will give, when known
 */
public record Download(InputStream stream, OptionalLong length) implements Closeable {

    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException if the length is negative
     */
    public Download {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(length, "length");
        if (length.isPresent() && length.getAsLong() < 0) {
            throw new IllegalArgumentException("negative length " + length.getAsLong());
        }
    }

    /**
     * Closes the stream.
     *
     * @throws IOException if closing fails
     */
    @Override
    public void close() throws IOException {
        stream.close();
    }
}
