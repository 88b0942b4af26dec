package dev.diskimage.core;

import java.nio.file.Path;

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
public final class TemporaryDirectory extends TemporaryPath {

    TemporaryDirectory(Path path) {
        super(path, "directory");
    }

    @Override
    public String toString() {
        return "TemporaryDirectory[" + path() + "]";
    }
}
