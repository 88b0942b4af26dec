package dev.diskimage.catalog;

import dev.diskimage.core.service.ImageServiceException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A local image service's metadata file cannot be trusted: not JSON, too large, a value of the
 * wrong type, or a record whose id is not the one its file name says. The service never guesses
 * what such a file meant; an administrator repairs or removes it.
 */
public class ImageRecordCorruptException extends ImageServiceException {
    private static final long serialVersionUID = 1L;

    /** The metadata file; a path is serializable only through its string form. */
    private final String file;

    /**
     * Creates the error.
     *
     * @param file the metadata file that is corrupt
     * @param reason what is wrong with it, already sanitized
     * @param cause the parse error, if any; may be null
     */
    public ImageRecordCorruptException(Path file, String reason, Throwable cause) {
        super("image metadata file " + file + " is corrupt: " + reason, -1, cause);
        this.file = Objects.requireNonNull(file, "file").toString();
    }

    /**
     * The metadata file that is corrupt.
     *
     * @return its path
     */
    public Path file() {
        return Path.of(file);
    }
}
