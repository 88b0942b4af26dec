package dev.diskimage.core;

import java.nio.file.Path;

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
public final class TemporaryFile extends TemporaryPath {

    TemporaryFile(Path path) {
        super(path, "file");
    }

    @Override
    public String toString() {
        return "TemporaryFile[" + path() + "]";
    }
}
