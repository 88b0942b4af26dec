package dev.diskimage.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What a temporary file and a temporary directory share: a path that is deleted, without
 * following links, exactly once when the handle closes.
 */
abstract class TemporaryPath implements AutoCloseable {

    private final Path path;
    private final String kind;
    private final AtomicBoolean closed = new AtomicBoolean();

    TemporaryPath(Path path, String kind) {
        this.path = Objects.requireNonNull(path, "path");
        this.kind = kind;
    }

    /**
     * The absolute path.
     *
     * @return the path of the file or directory; {@link #close()} deletes it
     */
    public Path path() {
        return path;
    }

    /**
     * Deletes the path and, for a directory, everything in it; links are removed as links,
     * never followed. Closing again, or after someone else removed it, does nothing.
     *
     * @throws ImageIoException if something that exists cannot be deleted (everything else is
     *                           still deleted; the cause lists each failure as a suppressed
     *                           exception), or a directory tree is nested deeper than 256 levels
     *                           (then nothing is deleted)
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            // A file may have been replaced by a directory (qemu-img does not, but a caller's
            // code might): delete whatever is there.
            RecursiveDeletion.delete(path);
        } catch (IOException e) {
            throw new ImageIoException("could not delete temporary " + kind, path, e);
        }
    }
}
