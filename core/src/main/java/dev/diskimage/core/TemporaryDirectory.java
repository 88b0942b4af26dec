package dev.diskimage.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A temporary directory in the image conversion directory that is deleted with all its content
 * when closed; Cinder's {@code temporary_dir} as a try-with-resources handle.
 *
 * <p>The directory is accessible to its owner only (0700 on POSIX file systems, set atomically
 * at creation). Deletion never follows a symbolic link: content such as an extracted archive may
 * contain links to files elsewhere, and those targets must survive the cleanup.
 *
 * <pre>{@code
 * try (TemporaryDirectory work = conversionDirectory.temporaryDirectory()) {
 *     extract(archive, work.path());
 * }   // the whole tree is deleted here
 * }</pre>
 *
 * <p>Thread-safe; {@link #close()} deletes at most once.
 */
public final class TemporaryDirectory implements AutoCloseable {

    private final Path path;
    private final AtomicBoolean closed = new AtomicBoolean();

    TemporaryDirectory(Path path) {
        this.path = Objects.requireNonNull(path, "path");
    }

    /** The absolute path of the temporary directory. */
    public Path path() {
        return path;
    }

    /**
     * Deletes the directory and everything in it, removing links as links. Closing again, or
     * closing after someone else removed the directory, does nothing.
     *
     * @throws UncheckedIOException if some entry cannot be deleted (what was deleted before the
     *                              failure stays deleted), or the tree is nested deeper than
     *                              256 levels
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            RecursiveDeletion.delete(path);
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete temporary directory " + path, e);
        }
    }

    @Override
    public String toString() {
        return "TemporaryDirectory[" + path + "]";
    }
}
