package dev.diskimage.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A temporary file in the image conversion directory that is deleted when closed; Cinder's
 * {@code temporary_file} as a try-with-resources handle.
 *
 * <p>The file exists, is empty and is readable and writable by its owner only (0600 on POSIX
 * file systems, set atomically at creation) when the handle is returned, so that a downloaded
 * image or a passphrase never sits in a file others can read, not even for a moment.
 *
 * <pre>{@code
 * try (TemporaryFile download = conversionDirectory.temporaryFile("image_download_", ".img")) {
 *     fetch(imageId, download.path());
 * }   // deleted here, also when fetch throws
 * }</pre>
 *
 * <p>Thread-safe; {@link #close()} deletes at most once.
 */
public final class TemporaryFile implements AutoCloseable {

    private final Path path;
    private final AtomicBoolean closed = new AtomicBoolean();

    TemporaryFile(Path path) {
        this.path = Objects.requireNonNull(path, "path");
    }

    /** The absolute path of the temporary file. */
    public Path path() {
        return path;
    }

    /**
     * Deletes the file (a link put in its place is removed as a link, never followed). Closing
     * again, or closing after someone else removed the file, does nothing.
     *
     * @throws UncheckedIOException if the file exists but cannot be deleted
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            // A tool may have replaced the file with a directory (qemu-img does not, but a
            // caller's code might): delete whatever is there, without following links.
            RecursiveDeletion.delete(path);
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete temporary file " + path, e);
        }
    }

    @Override
    public String toString() {
        return "TemporaryFile[" + path + "]";
    }
}
